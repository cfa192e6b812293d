package io.quicxdp.bench.quic;

import java.lang.reflect.RecordComponent;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * The counters of state snapshots (the datapath's sockets, the starter's HTTP/3 server), summed over the
 * snapshots, as {@code PREFIX.NAME}: every {@code long} component, every number in a map component as
 * {@code PREFIX.NAME.KEY}, and nested records' as {@code PREFIX.NAME.INNER}. Read from the record
 * components, so that a counter the project adds (the datapath's kicks, say) shows up in the benchmark
 * without a change here.
 */
public final class RecordCounters {

    private RecordCounters() {
    }

    /** The counters of {@code records}, summed, each name behind {@code prefix}. */
    public static Map<String, Long> sum(String prefix, Collection<? extends Record> records) {
        Map<String, Long> counters = new TreeMap<>();
        for (Record record : records) {
            add(counters, prefix, record);
        }
        return counters;
    }

    private static void add(Map<String, Long> counters, String prefix, Record record) {
        for (RecordComponent component : record.getClass().getRecordComponents()) {
            Object value;
            try {
                value = component.getAccessor().invoke(record);
            }
            catch (ReflectiveOperationException ex) {
                throw new IllegalStateException("cannot read " + component, ex);
            }
            String name = prefix + component.getName();
            // counters are longs; the ints are ids and gauges (queue ids, frames held now)
            if (value instanceof Long count) {
                counters.merge(name, count, Long::sum);
            }
            else if (value instanceof Map<?, ?> map) {
                map.forEach((key, count) -> {
                    if (count instanceof Number number) {
                        counters.merge(name + "." + key, number.longValue(), Long::sum);
                    }
                });
            }
            else if (value instanceof Record nested) {
                add(counters, name + ".", nested);
            }
        }
    }
}
