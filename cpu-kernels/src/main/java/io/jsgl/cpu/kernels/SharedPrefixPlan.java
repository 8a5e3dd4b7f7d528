package io.jsgl.cpu.kernels;

import io.jsgl.spi.AttentionBatch;
import java.util.Arrays;

/**
 * Decode sequences of one batch whose leading KV slots are the same slots: requests that hit one
 * radix-cache prefix (a shared system prompt, n > 1 siblings). Their queries can walk those keys
 * together, so each key block is gathered once for many sequences and scored by the transposed
 * path, instead of once per sequence; each sequence then continues alone from the end of the
 * shared run, starting from the softmax state the shared pass left (cascade attention).
 *
 * <p>A group is formed from sequences with the same first slot; its shared length is the shortest
 * common run with the group's first member, rounded down to whole key blocks. Items hold at most
 * {@link #MAX_MEMBERS} sequences so that a group still spreads over the worker threads.
 */
public final class SharedPrefixPlan {
    /** Shared keys below which a group is not worth a separate pass. */
    public static final int MIN_SHARED = 64;
    /** Sequences per shared work item. */
    public static final int MAX_MEMBERS = 16;

    /** Per sequence: keys its group's shared pass covers (0: the sequence walks all its keys alone). */
    public int[] prefixLen = new int[0];
    /** Member sequences, grouped; items are ranges of this array. */
    public int[] members = new int[0];
    public int[] itemFrom = new int[0];
    public int[] itemTo = new int[0];
    public int[] itemShared = new int[0];
    public int items;
    private long[] keys = new long[0];

    /** Plans {@code b}; {@code blockKeys} is the attention's key block, which shared runs are rounded to. */
    public void plan(AttentionBatch b, int blockKeys) {
        int n = b.sequences();
        if (prefixLen.length < n) {
            prefixLen = new int[n];
            members = new int[n];
            keys = new long[n];
            itemFrom = new int[n];
            itemTo = new int[n];
            itemShared = new int[n];
        }
        Arrays.fill(prefixLen, 0, n, 0);
        items = 0;
        int[] qLen = b.qLen(), kvLen = b.kvLen(), start = b.slotStart(), table = b.slotTable();
        int candidates = 0;
        for (int s = 0; s < n; s++) {
            if (qLen[s] == 1 && kvLen[s] > MIN_SHARED) keys[candidates++] = (long) table[start[s]] << 32 | s;
        }
        if (candidates < 2) return;
        Arrays.sort(keys, 0, candidates);
        int memberCount = 0;
        for (int g0 = 0; g0 < candidates; ) {
            int g1 = g0 + 1;
            while (g1 < candidates && keys[g1] >>> 32 == keys[g0] >>> 32) g1++;
            if (g1 - g0 >= 2) memberCount = group(b, g0, g1, blockKeys, memberCount);
            g0 = g1;
        }
    }

    /** One run of sequences with the same first slot: its shared length and items. */
    private int group(AttentionBatch b, int g0, int g1, int blockKeys, int memberCount) {
        int[] kvLen = b.kvLen(), start = b.slotStart(), table = b.slotTable();
        int leader = (int) keys[g0];
        int shared = kvLen[leader] - 1;
        for (int i = g0 + 1; i < g1 && shared >= MIN_SHARED; i++) {
            int s = (int) keys[i];
            int limit = Math.min(shared, kvLen[s] - 1);
            int common = 0;
            int a = start[leader], c = start[s];
            while (common < limit && table[a + common] == table[c + common]) common++;
            shared = common;
        }
        shared = shared / blockKeys * blockKeys;
        if (shared < MIN_SHARED) return memberCount;
        int from = memberCount;
        for (int i = g0; i < g1; i++) {
            int s = (int) keys[i];
            members[memberCount++] = s;
            prefixLen[s] = shared;
        }
        for (int m = from; m < memberCount; m += MAX_MEMBERS) {
            itemFrom[items] = m;
            itemTo[items] = Math.min(memberCount, m + MAX_MEMBERS);
            itemShared[items] = shared;
            items++;
        }
        return memberCount;
    }
}
