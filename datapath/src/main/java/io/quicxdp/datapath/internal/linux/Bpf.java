package io.quicxdp.datapath.internal.linux;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The {@code bpf(2)} commands the datapath uses, one typed method each, over the raw system call.
 *
 * <p>Every attribute block is a zeroed direct buffer laid out as the matching member of {@code union bpf_attr}
 * in {@code include/uapi/linux/bpf.h}; the offsets are written next to each method. The kernel zero-extends a
 * block shorter than its own {@code union bpf_attr} and rejects a longer one only when the extra bytes are not
 * zero, so one size fits every kernel. A failure throws {@link NativeIoException} naming the command, for
 * example {@code bpf(BPF_OBJ_GET /sys/fs/bpf/x)}.
 *
 * <p>Only little-endian 64-bit Linux (x86-64, arm64) is supported: instructions are encoded for it.
 */
public final class Bpf {

    /** {@code BPF_PROG_TYPE_XDP}. */
    public static final int PROG_TYPE_XDP = 6;

    /** {@code BPF_XDP}: the attach type of an XDP program and of its link. */
    public static final int ATTACH_TYPE_XDP = 37;

    /** {@code BPF_F_RDONLY}: open a pinned object for reading only. */
    public static final int F_RDONLY = 1 << 3;

    /** {@code BPF_F_WRONLY}: open a pinned object for writing only. */
    public static final int F_WRONLY = 1 << 4;

    /** {@code BPF_FS_MAGIC}, the {@code f_type} {@code statfs(2)} reports for bpffs. */
    private static final long BPF_FS_MAGIC = 0xcafe4a11L;

    private static final int BPF_MAP_CREATE = 0;
    private static final int BPF_MAP_LOOKUP_ELEM = 1;
    private static final int BPF_MAP_UPDATE_ELEM = 2;
    private static final int BPF_MAP_DELETE_ELEM = 3;
    private static final int BPF_PROG_LOAD = 5;
    private static final int BPF_OBJ_PIN = 6;
    private static final int BPF_OBJ_GET = 7;
    private static final int BPF_PROG_TEST_RUN = 10;
    private static final int BPF_OBJ_GET_INFO_BY_FD = 15;
    private static final int BPF_LINK_CREATE = 28;

    /** {@code sizeof(union bpf_attr)} in the 6.1 UAPI; every field used here lies within it. */
    private static final int ATTR_SIZE = 144;

    /** {@code BPF_OBJ_NAME_LEN}: names are at most 15 characters and a NUL. */
    private static final int OBJ_NAME_LEN = 16;

    /** The characters the kernel accepts in map and program names ({@code bpf_obj_name_cpy}). */
    private static final Pattern OBJ_NAME = Pattern.compile("[A-Za-z0-9_.]{0,15}");

    /** Size of the verifier log buffer, allocated only to explain a failed load. */
    private static final int VERIFIER_LOG_SIZE = 1 << 20;

    /** Room for the frame a test run hands back; XDP test runs accept at most a page. */
    private static final int TEST_RUN_MIN_OUTPUT = 4096;

    private static final long SYS_BPF = systemCallNumber(System.getProperty("os.arch"));

    private Bpf() {
    }

    /** What {@code BPF_OBJ_GET_INFO_BY_FD} reports for a map ({@code struct bpf_map_info}). */
    public record MapInfo(int id, int type, int keySize, int valueSize, int maxEntries, int flags, String name) {
    }

    /** What {@code BPF_OBJ_GET_INFO_BY_FD} reports for a program ({@code struct bpf_prog_info}), in part. */
    public record ProgramInfo(int id, int type, String name) {
    }

    /** The outcome of {@code BPF_PROG_TEST_RUN}: the program's return value and the data it left. */
    public record TestRunResult(int returnValue, byte[] dataOut) {
    }

    /**
     * {@code BPF_MAP_CREATE}: map_type@0, key_size@4, value_size@8, max_entries@12, map_flags@16, map_name@28.
     *
     * @return the new map's file descriptor
     */
    public static int mapCreate(int mapType, int keySize, int valueSize, int maxEntries, int mapFlags, String name)
            throws NativeIoException {
        ByteBuffer attr = attr();
        attr.putInt(0, mapType).putInt(4, keySize).putInt(8, valueSize).putInt(12, maxEntries).putInt(16, mapFlags);
        putName(attr, 28, name);
        return (int) call(BPF_MAP_CREATE, attr, "BPF_MAP_CREATE " + name);
    }

    /** {@code BPF_MAP_UPDATE_ELEM} on a map with 4-byte keys and values: map_fd@0, key@8, value@16, flags@24. */
    public static void mapUpdate(int mapFd, int key, int value, long flags) throws NativeIoException {
        update(mapFd, DirectBuffers.allocate(8).putInt(0, key).putInt(4, value), 4, flags, "key " + key);
    }

    /**
     * {@code BPF_MAP_UPDATE_ELEM} with a key and a value of the map's own sizes, which the caller has checked:
     * the kernel reads as many bytes as the map was created with.
     */
    public static void mapUpdate(int mapFd, byte[] key, byte[] value, long flags) throws NativeIoException {
        ByteBuffer keyAndValue = DirectBuffers.allocate(key.length + value.length).put(0, key).put(key.length, value);
        update(mapFd, keyAndValue, key.length, flags, "of " + key.length + " bytes");
    }

    private static void update(int mapFd, ByteBuffer keyAndValue, int keySize, long flags, String key)
            throws NativeIoException {
        ByteBuffer attr = attr();
        long address = DirectBuffers.address(keyAndValue);
        attr.putInt(0, mapFd).putLong(8, address).putLong(16, address + keySize).putLong(24, flags);
        call(BPF_MAP_UPDATE_ELEM, attr, "BPF_MAP_UPDATE_ELEM " + key, keyAndValue);
    }

    /** {@code BPF_MAP_DELETE_ELEM} on a map with 4-byte keys: map_fd@0, key@8. */
    public static void mapDelete(int mapFd, int key) throws NativeIoException {
        ByteBuffer keyBuffer = DirectBuffers.allocate(4).putInt(0, key);
        ByteBuffer attr = attr();
        attr.putInt(0, mapFd).putLong(8, DirectBuffers.address(keyBuffer));
        call(BPF_MAP_DELETE_ELEM, attr, "BPF_MAP_DELETE_ELEM key " + key, keyBuffer);
    }

    /**
     * {@code BPF_MAP_LOOKUP_ELEM} on a map with 4-byte keys and values: map_fd@0, key@8, value@16.
     *
     * @throws NativeIoException with {@code ENOENT} when the key has no value, {@code EOPNOTSUPP} for maps
     *         that cannot be read from user space, such as an XSKMAP
     */
    public static int mapLookup(int mapFd, int key) throws NativeIoException {
        return lookup(mapFd, DirectBuffers.allocate(8).putInt(0, key), 4, "key " + key).getInt(4);
    }

    /**
     * {@code BPF_MAP_LOOKUP_ELEM} with a key of the map's own size, returning {@code valueSize} bytes, the map's
     * value size, which the caller has checked.
     *
     * @throws NativeIoException with {@code ENOENT} when the key has no value
     */
    public static byte[] mapLookup(int mapFd, byte[] key, int valueSize) throws NativeIoException {
        ByteBuffer found = lookup(mapFd, DirectBuffers.allocate(key.length + valueSize).put(0, key), key.length,
                "of " + key.length + " bytes");
        byte[] value = new byte[valueSize];
        found.get(key.length, value);
        return value;
    }

    private static ByteBuffer lookup(int mapFd, ByteBuffer keyAndValue, int keySize, String key)
            throws NativeIoException {
        ByteBuffer attr = attr();
        long address = DirectBuffers.address(keyAndValue);
        attr.putInt(0, mapFd).putLong(8, address).putLong(16, address + keySize);
        call(BPF_MAP_LOOKUP_ELEM, attr, "BPF_MAP_LOOKUP_ELEM " + key, keyAndValue);
        return keyAndValue;
    }

    /**
     * {@code BPF_PROG_LOAD}: prog_type@0, insn_cnt@4, insns@8, license@16, log_level@24, log_size@28,
     * log_buf@32, prog_name@48, expected_attach_type@68.
     *
     * <p>The first attempt runs without a verifier log, which costs nothing when the program is accepted. When
     * the kernel refuses it, the load is repeated with a log so that the exception can say why.
     *
     * @param instructions encoded {@code struct bpf_insn}s, 8 bytes each
     * @return the program's file descriptor
     * @throws BpfLoadException when the kernel refuses the program, with the verifier's log
     */
    public static int progLoad(int programType, int expectedAttachType, String name, byte[] instructions,
            String license) throws NativeIoException {
        if (instructions.length == 0 || instructions.length % 8 != 0) {
            throw new IllegalArgumentException("instructions must be a non-empty multiple of 8 bytes");
        }
        ByteBuffer code = DirectBuffers.allocate(instructions.length).put(0, instructions);
        ByteBuffer licenseText = cString(license);
        ByteBuffer attr = attr();
        attr.putInt(0, programType).putInt(4, instructions.length / 8).putLong(8, DirectBuffers.address(code))
                .putLong(16, DirectBuffers.address(licenseText)).putInt(68, expectedAttachType);
        putName(attr, 48, name);
        long fd = invoke(BPF_PROG_LOAD, attr, code, licenseText);
        if (fd >= 0) {
            return (int) fd;
        }
        ByteBuffer log = DirectBuffers.allocate(VERIFIER_LOG_SIZE);
        attr.putInt(24, 1).putInt(28, VERIFIER_LOG_SIZE).putLong(32, DirectBuffers.address(log));
        fd = invoke(BPF_PROG_LOAD, attr, code, licenseText, log);
        if (fd >= 0) {
            return (int) fd;
        }
        throw new BpfLoadException("bpf(BPF_PROG_LOAD " + name + ")", (int) -fd,
                cStringAt(log, 0, VERIFIER_LOG_SIZE));
    }

    /** {@code BPF_OBJ_PIN}: pathname@0, bpf_fd@8. Fails with {@code EEXIST} when the path exists. */
    public static void objPin(int fd, String path) throws NativeIoException {
        ByteBuffer pathText = cString(path);
        ByteBuffer attr = attr();
        attr.putLong(0, DirectBuffers.address(pathText)).putInt(8, fd);
        call(BPF_OBJ_PIN, attr, "BPF_OBJ_PIN " + path, pathText);
    }

    /**
     * {@code BPF_OBJ_GET}: pathname@0, file_flags@12.
     *
     * @param fileFlags 0 for read and write, {@link #F_RDONLY} or {@link #F_WRONLY}
     * @return a new file descriptor for the pinned object
     */
    public static int objGet(String path, int fileFlags) throws NativeIoException {
        ByteBuffer pathText = cString(path);
        ByteBuffer attr = attr();
        attr.putLong(0, DirectBuffers.address(pathText)).putInt(12, fileFlags);
        return (int) call(BPF_OBJ_GET, attr, "BPF_OBJ_GET " + path, pathText);
    }

    /** {@code BPF_OBJ_GET_INFO_BY_FD} for a map, read from {@code struct bpf_map_info}. */
    public static MapInfo mapInfo(int mapFd) throws NativeIoException {
        // type@0, id@4, key_size@8, value_size@12, max_entries@16, map_flags@20, name@24; 88 bytes in 6.1
        ByteBuffer info = objectInfo(mapFd, 88, "map");
        return new MapInfo(info.getInt(4), info.getInt(0), info.getInt(8), info.getInt(12), info.getInt(16),
                info.getInt(20), cStringAt(info, 24, OBJ_NAME_LEN));
    }

    /** {@code BPF_OBJ_GET_INFO_BY_FD} for a program, read from {@code struct bpf_prog_info}. */
    public static ProgramInfo programInfo(int programFd) throws NativeIoException {
        // type@0, id@4, name@64; 232 bytes in 6.1
        ByteBuffer info = objectInfo(programFd, 232, "program");
        return new ProgramInfo(info.getInt(4), info.getInt(0), cStringAt(info, 64, OBJ_NAME_LEN));
    }

    /**
     * {@code BPF_LINK_CREATE}: prog_fd@0, target_ifindex@4, attach_type@8, flags@12.
     *
     * @return the link's file descriptor; closing the last reference to it detaches the program
     */
    public static int linkCreate(int programFd, int targetIfindex, int attachType, int flags)
            throws NativeIoException {
        ByteBuffer attr = attr();
        attr.putInt(0, programFd).putInt(4, targetIfindex).putInt(8, attachType).putInt(12, flags);
        return (int) call(BPF_LINK_CREATE, attr, "BPF_LINK_CREATE ifindex " + targetIfindex);
    }

    /**
     * {@code BPF_PROG_TEST_RUN}: prog_fd@0, retval@4, data_size_in@8, data_size_out@12, data_in@16,
     * data_out@24, repeat@32, ctx_size_in@40, ctx_in@48.
     *
     * @param context the program's context as its input ({@code struct xdp_md} for XDP), or {@code null}
     */
    public static TestRunResult progTestRun(int programFd, byte[] data, int repeat, byte[] context)
            throws NativeIoException {
        ByteBuffer in = DirectBuffers.allocate(Math.max(1, data.length)).put(0, data);
        int outCapacity = Math.max(TEST_RUN_MIN_OUTPUT, data.length);
        ByteBuffer out = DirectBuffers.allocate(outCapacity);
        ByteBuffer contextIn = DirectBuffers.allocate(context == null ? 1 : Math.max(1, context.length));
        ByteBuffer attr = attr();
        attr.putInt(0, programFd).putInt(8, data.length).putInt(12, outCapacity)
                .putLong(16, DirectBuffers.address(in)).putLong(24, DirectBuffers.address(out)).putInt(32, repeat);
        if (context != null) {
            contextIn.put(0, context);
            attr.putInt(40, context.length).putLong(48, DirectBuffers.address(contextIn));
        }
        call(BPF_PROG_TEST_RUN, attr, "BPF_PROG_TEST_RUN", in, out, contextIn);
        byte[] dataOut = new byte[Math.min(attr.getInt(12), outCapacity)];
        out.get(0, dataOut);
        return new TestRunResult(attr.getInt(4), dataOut);
    }

    /**
     * Whether {@code path} lies on a mounted bpffs, by {@code statfs(2)}: the only file system where objects
     * can be pinned. Tells "bpffs is not mounted there" apart from the errors {@code BPF_OBJ_PIN} and
     * {@code BPF_OBJ_GET} give, which do not say so.
     *
     * @throws NativeIoException when {@code path} does not exist ({@code ENOENT}) or cannot be reached
     */
    public static boolean isOnBpfFileSystem(String path) throws NativeIoException {
        ByteBuffer statfs = DirectBuffers.allocate(120);
        try {
            if (LibCFileSystem.statfs(path, DirectBuffers.address(statfs)) < 0) {
                throw new NativeIoException("statfs(" + path + ")", LibC.errno());
            }
            // f_type is the first field, a long on 64-bit Linux
            return statfs.getLong(0) == BPF_FS_MAGIC;
        }
        finally {
            Reference.reachabilityFence(statfs);
        }
    }

    private static ByteBuffer objectInfo(int fd, int size, String what) throws NativeIoException {
        ByteBuffer info = DirectBuffers.allocate(size);
        ByteBuffer attr = attr();
        attr.putInt(0, fd).putInt(4, size).putLong(8, DirectBuffers.address(info));
        call(BPF_OBJ_GET_INFO_BY_FD, attr, "BPF_OBJ_GET_INFO_BY_FD " + what, info);
        return info;
    }

    private static long call(int command, ByteBuffer attr, String what, ByteBuffer... referenced)
            throws NativeIoException {
        long result = invoke(command, attr, referenced);
        if (result < 0) {
            throw new NativeIoException("bpf(" + what + ")", (int) -result);
        }
        return result;
    }

    /**
     * Runs a command, keeping the attribute block and the buffers whose addresses it holds alive until the
     * call returns: the kernel reads them by address, which the garbage collector does not see.
     *
     * @return what the command returns, or {@code -errno}
     */
    private static long invoke(int command, ByteBuffer attr, ByteBuffer... referenced) {
        long result = LibC.syscall(SYS_BPF, command, DirectBuffers.address(attr), ATTR_SIZE);
        long outcome = result < 0 ? -LibC.errno() : result;
        Reference.reachabilityFence(attr);
        Reference.reachabilityFence(referenced);
        return outcome;
    }

    private static ByteBuffer attr() {
        return DirectBuffers.allocate(ATTR_SIZE);
    }

    private static void putName(ByteBuffer attr, int offset, String name) {
        if (!OBJ_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("BPF object name '" + name
                    + "' must be at most 15 characters of letters, digits, '_' and '.'");
        }
        attr.put(offset, name.getBytes(StandardCharsets.US_ASCII));
    }

    private static ByteBuffer cString(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            if (b == 0) {
                throw new IllegalArgumentException("NUL in '" + text + "'");
            }
        }
        return DirectBuffers.allocate(bytes.length + 1).put(0, bytes);
    }

    private static String cStringAt(ByteBuffer buffer, int offset, int maxLength) {
        int length = 0;
        while (length < maxLength && buffer.get(offset + length) != 0) {
            length++;
        }
        byte[] bytes = new byte[length];
        buffer.get(offset, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static long systemCallNumber(String arch) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("quic-xdp's BPF support needs a little-endian machine");
        }
        return switch (arch) {
            case "amd64", "x86_64" -> 321;
            case "aarch64", "arm64" -> 280;
            default -> throw new UnsupportedOperationException("no bpf(2) system call number for " + arch);
        };
    }
}
