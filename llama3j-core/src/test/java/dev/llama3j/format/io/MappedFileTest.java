package dev.llama3j.format.io;

import dev.llama3j.LlamaException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MappedFileTest {

    @Test
    void mapsTheWholeFileReadOnly(@TempDir Path dir) throws IOException {
        Path p = Files.write(dir.resolve("f.bin"), new byte[] {10, 20, 30, 40, 50});
        MappedFile f = MappedFile.open(p);
        assertThat(f.path()).isEqualTo(p);
        assertThat(f.size()).isEqualTo(5);
        assertThat(f.segment().isMapped()).isTrue();
        assertThat(f.segment().isReadOnly()).isTrue();
        assertThat(f.segment().toArray(ValueLayout.JAVA_BYTE)).containsExactly(10, 20, 30, 40, 50);
        f.close();
        f.close(); // closing twice is harmless
        assertThatThrownBy(() -> f.segment().get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void mapsAnEmptyFile(@TempDir Path dir) throws IOException {
        try (MappedFile f = MappedFile.open(Files.write(dir.resolve("empty"), new byte[0]))) {
            assertThat(f.size()).isZero();
        }
    }

    @Test
    void missingFileOrDirectoryIsAUserError(@TempDir Path dir) {
        Path missing = dir.resolve("nope.pth");
        assertThatThrownBy(() -> MappedFile.open(missing)).isInstanceOf(LlamaException.class)
                .hasMessage(missing + ": file not found");
        assertThatThrownBy(() -> MappedFile.open(dir)).isInstanceOf(LlamaException.class)
                .hasMessage(dir + ": is a directory, expected a file");
    }
}
