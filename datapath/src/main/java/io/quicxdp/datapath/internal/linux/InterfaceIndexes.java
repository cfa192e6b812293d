package io.quicxdp.datapath.internal.linux;

/** Network interface names to kernel interface indexes, in the calling thread's network namespace. */
public final class InterfaceIndexes {

    private InterfaceIndexes() {
    }

    /**
     * The index of the interface called {@code name}.
     *
     * @throws NativeIoException with {@code ENODEV} when no such interface exists
     */
    public static int of(String name) throws NativeIoException {
        int index = LibC.if_nametoindex(name);
        if (index == 0) {
            throw new NativeIoException("if_nametoindex(" + name + ")", LibC.errno());
        }
        return index;
    }
}
