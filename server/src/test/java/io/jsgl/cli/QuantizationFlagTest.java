package io.jsgl.cli;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsgl.spi.BackendDescriptor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** --quantization goes only to a backend whose descriptor declares the scheme; others refuse it in one line. */
class QuantizationFlagTest {

    private static ModelOptions options(String backend) {
        ModelOptions o = new ModelOptions();
        o.backend = backend;
        o.quantization = "w8a8_int8";
        return o;
    }

    @Test
    void aBackendThatDoesNotDeclareTheSchemeRefusesIt() {
        var e = assertThrows(IllegalArgumentException.class, () -> options("cpu-avx512").checkBackendFlags("cpu-avx512"));
        assertTrue(e.getMessage().contains("not supported by backend cpu-avx512"), e.getMessage());
        assertTrue(e.getMessage().contains("declared by cpu-amx"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> options("reference").checkBackendFlags("reference"));
    }

    @Test
    void theDeclaringBackendTakesIt() {
        assertDoesNotThrow(() -> options("cpu-amx").checkBackendFlags("cpu-amx"));
    }

    @Test
    void theOpenedBackendsOwnDescriptorDecides() {
        var plain = new BackendDescriptor("cpu-avx512", "1", "declares nothing", 1, 1, List.of(), List.of());
        var e = assertThrows(IllegalArgumentException.class,
                () -> options("cpu-avx512").checkBackendFlags("cpu-avx512", plain));
        assertTrue(e.getMessage().contains("declared by cpu-amx"), e.getMessage());
        var declaring = new BackendDescriptor("plugin-q", "1", "a plugin that quantizes", 1, 1, List.of(), List.of(),
                List.of("w8a8_int8"));
        assertDoesNotThrow(() -> options("plugin-q").checkBackendFlags("plugin-q", declaring));
    }

    @Test
    void descriptorsOfTheFirstSpiFormQuantizeNothing() {
        var d = new BackendDescriptor("plugin", "1", "an SPI 1 plugin", 1, 1, List.of(), List.of());
        assertTrue(d.quantizations().isEmpty());
        assertTrue(!d.quantizes("w8a8_int8"));
        var q = new BackendDescriptor("q", "1", "quantizing", 1, 1, List.of(), List.of(), List.of("w8a8_int8"));
        assertTrue(q.quantizes("w8a8_int8"));
    }
}
