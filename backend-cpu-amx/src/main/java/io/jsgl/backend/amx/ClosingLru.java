package io.jsgl.backend.amx;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.function.Function;

/**
 * A least-recently-used cache of native objects (oneDNN primitives) that closes what it evicts and,
 * when closed, everything it holds. Primitives are cached per call shape, and in a server every new
 * prefill length is a new shape, so an unbounded map would keep native memory forever.
 */
final class ClosingLru<K, V extends AutoCloseable> implements AutoCloseable {
    private final int capacity;
    private final LinkedHashMap<K, V> map = new LinkedHashMap<>(16, 0.75f, true);

    ClosingLru(int capacity) {
        this.capacity = capacity;
    }

    /** The value for {@code key}, created by {@code create} the first time (evicting the least recently used). */
    V get(K key, Function<? super K, ? extends V> create) {
        V v = map.get(key);
        if (v == null) {
            v = create.apply(key);
            map.put(key, v);
            if (map.size() > capacity) {
                var eldest = map.entrySet().iterator().next();
                map.remove(eldest.getKey());
                closeOne(eldest.getValue());
            }
        }
        return v;
    }

    /** The cached values, least recently used first. */
    Collection<V> values() {
        return map.values();
    }

    @Override
    public void close() {
        for (V v : map.values()) closeOne(v);
        map.clear();
    }

    private static void closeOne(AutoCloseable c) {
        try {
            c.close();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
