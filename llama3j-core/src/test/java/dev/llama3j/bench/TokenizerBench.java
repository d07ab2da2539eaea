package dev.llama3j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.tokenizer.Tokenizer;
import dev.llama3j.tokenizer.vocab.TiktokenFile;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Encode and decode of every text in {@code shared/llama3/tokenizer-cases.jsonl} (English, code, many scripts, emoji,
 * whitespace runs, the hard cases of the split pattern), joined into one document. The score is microseconds per
 * pass; MB/s = bytes (printed at setup) / time. Run in {@code llama3j-core/}, with ../shared beside the repository
 * (classpath as in
 * {@link MatvecBench}):
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes:$(cat target/cp.txt) \
 *   org.openjdk.jmh.Main TokenizerBench
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class TokenizerBench {
    private Tokenizer tokenizer;
    private String text;
    private int[] ids;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Path shared = Path.of(System.getProperty("llama3j.shared", "../shared"), "llama3");
        tokenizer = TiktokenFile.load(shared.resolve("tokenizer.model"));
        ObjectMapper json = new ObjectMapper();
        StringBuilder doc = new StringBuilder();
        for (String line : Files.readAllLines(shared.resolve("tokenizer-cases.jsonl"), StandardCharsets.UTF_8)) {
            JsonNode c = json.readTree(line);
            doc.append(c.get("text").asText()).append('\n');
        }
        text = doc.toString();
        ids = tokenizer.encode(text, false, false);
        System.out.printf("%n%d bytes, %d tokens%n", text.getBytes(StandardCharsets.UTF_8).length, ids.length);
    }

    @Benchmark
    public int[] encode() {
        return tokenizer.encode(text, false, false);
    }

    @Benchmark
    public String decode() {
        return tokenizer.decode(ids);
    }
}
