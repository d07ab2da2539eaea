package dev.llama3j.cli;

import dev.llama3j.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --verify} checks a Meta download against its checklist.chk, as Meta's download.sh does
 * ({@code md5sum -c}); for a model without one it fails with one line saying so.
 */
class VerifyOptionTest {
    @TempDir
    Path dir;

    private static CliRunner.Run complete(Path model) {
        return CliRunner.run("complete", "-m", model.toString(), "--verify", "--temperature", "0", "--max-gen-len", "1",
                "Hello");
    }

    @Test
    void aMetaFolderIsCheckedAgainstItsChecklist() throws Exception {
        Path src = SharedData.require("fixtures/meta/tiny-meta");
        Path copy = Files.createDirectories(dir.resolve("tiny-meta"));
        StringBuilder checklist = new StringBuilder();
        for (String name : List.of("consolidated.00.pth", "params.json", "tokenizer.model")) {
            Files.copy(src.resolve(name), copy.resolve(name));
            byte[] md5 = MessageDigest.getInstance("MD5").digest(Files.readAllBytes(copy.resolve(name)));
            checklist.append(HexFormat.of().formatHex(md5)).append("  ").append(name).append('\n');
        }
        Files.writeString(copy.resolve("checklist.chk"), checklist);

        CliRunner.Run ok = complete(copy);
        assertThat(ok.exit()).as(ok.stderr()).isZero();
        assertThat(ok.stderr()).contains("llama3j: verified 3 files against checklist.chk");

        Files.write(copy.resolve("params.json"), new byte[] {' '}, StandardOpenOption.APPEND);
        CliRunner.Run bad = complete(copy);
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.stderr().lines().toList()).singleElement().asString()
                .startsWith("llama3j: " + copy.resolve("params.json") + ": MD5 ")
                .endsWith("in checklist.chk (the file is corrupt or incomplete)");
        assertThat(bad.stdout()).isEmpty();
    }

    @Test
    void aGgufFileHasNoChecklist() {
        Path gguf = SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf");
        CliRunner.Run r = complete(gguf);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stderr().strip()).isEqualTo("llama3j: --verify: " + gguf + " is a single file; only a Meta"
                + " checkpoint folder has a checklist.chk (MD5 of each file) to check it against");
        assertThat(r.stdout()).isEmpty();
    }

    @Test
    void aFolderWithoutChecklistSaysSo() {
        Path hf = SharedData.require("fixtures/hf/tiny-sv-hf");
        CliRunner.Run r = complete(hf);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stderr().strip()).isEqualTo("llama3j: --verify: " + hf + " has no checklist.chk (Meta's download"
                + " puts one beside consolidated.NN.pth; Hugging Face and other downloads have none)");
    }
}
