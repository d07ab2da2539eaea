package dev.llama3j.format.pth;

import dev.llama3j.LlamaException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChecklistTest {
    // RFC 1321 test suite values
    private static final String MD5_ABC = "900150983cd24fb0d6963f7d28e17f72";
    private static final String MD5_EMPTY = "d41d8cd98f00b204e9800998ecf8427e";

    @Test
    void verifiesEveryListedFile(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("consolidated.00.pth"), "abc");
        Files.writeString(dir.resolve("params.json"), "");
        Files.writeString(dir.resolve(Checklist.FILE_NAME),
                MD5_ABC + "  consolidated.00.pth\n\n" + MD5_EMPTY.toUpperCase() + " *params.json\n");
        assertThat(Checklist.verify(dir)).containsExactly("consolidated.00.pth", "params.json");
    }

    @Test
    void mismatchNamesTheFile(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("consolidated.00.pth"), "abd");
        Files.writeString(dir.resolve(Checklist.FILE_NAME), MD5_ABC + "  consolidated.00.pth\n");
        assertThatThrownBy(() -> Checklist.verify(dir)).isInstanceOf(LlamaException.class)
                .hasMessageStartingWith(dir.resolve("consolidated.00.pth") + ": MD5 ")
                .hasMessageEndingWith(" does not match " + MD5_ABC + " in checklist.chk (the file is corrupt or incomplete)");
    }

    @Test
    void malformedOrHostileChecklists(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> Checklist.verify(dir)).isInstanceOf(LlamaException.class)
                .hasMessage(dir.resolve("checklist.chk") + ": file not found (nothing to verify against)");
        Files.writeString(dir.resolve(Checklist.FILE_NAME), MD5_ABC + "  missing.pth\n");
        assertThatThrownBy(() -> Checklist.verify(dir)).isInstanceOf(LlamaException.class)
                .hasMessage(dir.resolve("missing.pth") + ": file not found");
        Files.writeString(dir.resolve(Checklist.FILE_NAME), "xyz  a\n");
        assertThatThrownBy(() -> Checklist.verify(dir)).isInstanceOf(LlamaException.class)
                .hasMessage(dir.resolve("checklist.chk") + ": line 1 is not '<md5>  <file name>'");
        Files.writeString(dir.resolve(Checklist.FILE_NAME), MD5_ABC + "  ../etc/passwd\n");
        assertThatThrownBy(() -> Checklist.verify(dir)).isInstanceOf(LlamaException.class)
                .hasMessage(dir.resolve("checklist.chk") + ": line 1 names '../etc/passwd', expected a file in the same folder");
    }
}
