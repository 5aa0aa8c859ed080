package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

/** The status word's encoding, as strix_report_bad in strix_common.cuh writes it, without a GPU. */
class DeviceChecksTest {
    /** strix_report_bad's packing: position (clamped to 31 bits) above, the value's 32 bits below. */
    private static long pack(long position, int value) {
        long p = position < 0 || position > 0x7fffffffL ? 0x7fffffffL : position;
        return (p << 32) | (value & 0xffffffffL);
    }

    @Test
    void positionAndValueComeBackIncludingNegativeValues() {
        long w = pack(4, -3);
        assertEquals(4, DeviceChecks.position(w));
        assertEquals(-3, DeviceChecks.value(w));
        long big = pack(123_456_789, Integer.MAX_VALUE);
        assertEquals(123_456_789, DeviceChecks.position(big));
        assertEquals(Integer.MAX_VALUE, DeviceChecks.value(big));
    }

    @Test
    void noRecordedProblemLooksLikeTheClearWord() {
        assertNotEquals(DeviceChecks.CLEAR, pack(0x7fffffffL, -1), "the largest position with value -1");
        assertNotEquals(DeviceChecks.CLEAR, pack(Long.MAX_VALUE, -1), "a clamped position");
    }

    @Test
    void theSmallestPositionIsTheSmallestWord() {
        // atomicMin on the packed word keeps the first bad row, whatever its value.
        assertEquals(-1, Long.compareUnsigned(pack(2, Integer.MAX_VALUE), pack(3, 0)));
        assertEquals(-1, Long.compareUnsigned(pack(2, 0), pack(2, -1)));
        assertEquals(-1, Long.compareUnsigned(pack(0x7fffffffL, -1), DeviceChecks.CLEAR));
    }
}
