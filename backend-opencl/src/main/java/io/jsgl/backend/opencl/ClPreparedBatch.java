package io.jsgl.backend.opencl;

import io.jsgl.spi.AttentionBatch;
import io.jsgl.spi.PreparedBatch;

/**
 * A step's attention tables on the device, uploaded once by {@link OpenClBackend#prepare} and
 * read by the attention of every layer: one int buffer holding, at the recorded offsets (in
 * ints), each row's sequence, position and new slot, each sequence's start in the slot table,
 * the slot table, and each row's absolute start in the slot table (its sequence's start plus the
 * table's offset: one load instead of two dependent ones for the decode attention). Closing
 * returns the buffer to the backend's pool.
 */
final class ClPreparedBatch implements PreparedBatch {
    final OpenClBackend owner;
    final AttentionBatch layout;
    final ClBuffer table;
    final int rowSeqOff;
    final int rowPosOff;
    final int newSlotsOff;
    final int slotStartOff;
    final int slotTableOff;
    final int rowBaseOff;
    /** The most keys any row attends over (before a sliding window). */
    final int maxKeys;
    /** Every row is its own sequence's only new token (a decode batch): no row reads another row's new key. */
    final boolean decodeOnly;
    /**
     * A decode batch whose every row's new slot is the slot table's entry at its position: the row's
     * new key is the last key it attends to, so attention may take it from the fresh k and v.
     */
    final boolean decodeFresh;
    private boolean closed;

    ClPreparedBatch(OpenClBackend owner, AttentionBatch layout, ClBuffer table, int rowSeqOff, int rowPosOff,
                    int newSlotsOff, int slotStartOff, int slotTableOff, int rowBaseOff, int maxKeys, boolean decodeOnly,
                    boolean decodeFresh) {
        this.owner = owner;
        this.layout = layout;
        this.table = table;
        this.rowSeqOff = rowSeqOff;
        this.rowPosOff = rowPosOff;
        this.newSlotsOff = newSlotsOff;
        this.slotStartOff = slotStartOff;
        this.slotTableOff = slotTableOff;
        this.rowBaseOff = rowBaseOff;
        this.maxKeys = maxKeys;
        this.decodeOnly = decodeOnly;
        this.decodeFresh = decodeOnly && decodeFresh;
    }

    @Override
    public AttentionBatch layout() {
        return layout;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        owner.recycleTable(table);
    }
}
