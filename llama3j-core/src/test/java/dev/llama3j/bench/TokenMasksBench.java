package dev.llama3j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.grammar.JsonGrammar;
import dev.llama3j.grammar.JsonSchema;
import dev.llama3j.grammar.JsonState;
import dev.llama3j.grammar.TokenMasks;
import dev.llama3j.tokenizer.Tokenizer;
import dev.llama3j.tokenizer.vocab.TiktokenFile;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * One uncached token mask over the Llama 3 vocabulary (128,256 tokens) in the common states of a constrained
 * output: inside a free string, after an object's {@code {}, inside a number, before a key, before a value of any
 * type. {@code fresh}: from a new state each call (no remembered transitions: the first visit of a state), else
 * from the same state (its transitions remembered, as when a string goes on). Run in {@code llama3j-core/} with
 * ../shared beside the repository (classpath as in {@link MatvecBench}):
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes:$(cat target/cp.txt) \
 *   org.openjdk.jmh.Main TokenMasksBench
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class TokenMasksBench {
    private static final String SCHEMA = """
            {"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},
             "tags":{"type":"array","items":{"type":"string"}}},"required":["name","age"]}""";

    @Param({"string", "open", "number", "key", "anyValue"})
    public String where;
    @Param({"false", "true"})
    public boolean fresh;

    private TokenMasks masks;
    private JsonGrammar grammar;
    private String prefix;
    private JsonState state;

    @Setup
    public void setUp() throws IOException {
        Tokenizer t = TiktokenFile.load(Path.of("../../shared/llama3/tokenizer.model"));
        byte[][] vocabulary = new byte[t.vocabSize()][];
        for (int id = 0; id < t.baseVocabSize(); id++) vocabulary[id] = t.tokenBytes(id);
        masks = new TokenMasks(vocabulary, 0);
        grammar = where.equals("anyValue") ? JsonSchema.jsonObject()
                : JsonSchema.compile(new ObjectMapper().readTree(SCHEMA));
        prefix = switch (where) {
            case "string" -> "{\"name\": \"Ada Lo";
            case "open" -> "{";
            case "number" -> "{\"name\": \"Ada\", \"age\": 3";
            case "key" -> "{\"name\": \"Ada\", \"age\": 36, ";
            default -> "{\"x\": ";
        };
        state = grammar.start().accept(prefix);
    }

    @Benchmark
    public long[] mask() {
        return masks.allowed(fresh ? grammar.start().accept(prefix) : state);
    }
}
