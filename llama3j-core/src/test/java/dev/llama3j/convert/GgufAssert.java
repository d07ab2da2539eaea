package dev.llama3j.convert;

import dev.llama3j.format.gguf.GgufFile;
import dev.llama3j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Byte comparison of GGUF files that names the first differing tensor (and how many of its blocks differ). */
final class GgufAssert {
    private GgufAssert() {}

    static void assertSameBytes(Path actual, Path expected) throws IOException {
        try (GgufFile a = GgufFile.open(actual); GgufFile e = GgufFile.open(expected)) {
            assertThat(a.metadata().keys()).containsExactlyElementsOf(e.metadata().keys());
            assertThat(a.tensors().keySet()).containsExactlyElementsOf(e.tensors().keySet());
            List<String> differing = new ArrayList<>();
            for (Tensor te : e.tensors().values()) {
                Tensor ta = a.tensor(te.name());
                assertThat(ta.type()).as(te.name()).isEqualTo(te.type());
                assertThat(ta.shape()).as(te.name()).isEqualTo(te.shape());
                byte[] x = ta.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                byte[] y = te.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                int blocks = 0;
                int bb = te.type().blockBytes;
                for (int b = 0; b < y.length / bb; b++) {
                    if (!java.util.Arrays.equals(x, b * bb, (b + 1) * bb, y, b * bb, (b + 1) * bb)) {
                        blocks++;
                    }
                }
                if (blocks > 0) {
                    differing.add(te.name() + " (" + te.type() + "): " + blocks + " of " + y.length / bb + " blocks");
                }
            }
            assertThat(differing).as("tensors whose bytes differ").isEmpty();
        }
        assertThat(Files.readAllBytes(actual)).as("whole file").isEqualTo(Files.readAllBytes(expected));
    }
}
