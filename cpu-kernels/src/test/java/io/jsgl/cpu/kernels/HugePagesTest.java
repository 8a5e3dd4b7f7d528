package io.jsgl.cpu.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class HugePagesTest {

    @Test
    void largeBlocksAreZeroedWritableAndAlignedToAHugePage() {
        long bytes = 3 * HugePages.SIZE + 12_345;
        MemorySegment s;
        try (Arena arena = Arena.ofShared()) {
            s = HugePages.allocate(arena, bytes);
            assertEquals(bytes, s.byteSize());
            if (HugePages.enabled()) assertEquals(0, s.address() % HugePages.SIZE);
            for (long o = 0; o + 8 <= bytes; o += 4093 * 8) assertEquals(0L, s.get(ValueLayout.JAVA_LONG_UNALIGNED, o));
            assertEquals(0, s.get(ValueLayout.JAVA_BYTE, bytes - 1));
            s.fill((byte) 7);
            assertEquals(7, s.get(ValueLayout.JAVA_BYTE, bytes - 1));
            assertTrue(s.scope().isAlive());
        }
        assertFalse(s.scope().isAlive()); // unmapped with its arena
    }

    @Test
    void smallBlocksComeFromTheArena() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = HugePages.allocate(arena, 1000);
            assertEquals(1000, s.byteSize());
            assertEquals(0, s.address() % 64);
            assertEquals(0, s.get(ValueLayout.JAVA_INT, 996));
        }
    }
}
