package dev.llama3j.bench;

import dev.llama3j.grammar.GbnfGrammar;
import dev.llama3j.grammar.GrammarState;
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
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * One uncached token mask over the Llama 3 vocabulary (128,256 tokens) under GBNF grammars: JSON written in GBNF
 * ({@code json.gbnf}, the language of {@link TokenMasksBench}'s any value) in the same states as that benchmark,
 * a free line of text, a bounded list of words, a date. {@code fresh} as in {@link TokenMasksBench}. Run in
 * {@code llama3j-core/} with ../shared beside the repository:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes:$(cat target/cp.txt) \
 *   org.openjdk.jmh.Main GbnfMasksBench
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class GbnfMasksBench {
    private static final String LINE = "root ::= [^\\n]* \"\\n\"";
    private static final String LIST = "root ::= (\"- \" item \"\\n\"){1,5}\nitem ::= [a-zA-Z ]{1,40}";
    private static final String DATE = "root ::= [0-9]{4} \"-\" (\"0\" [1-9] | \"1\" [0-2]) \"-\" [0-3] [0-9]";

    @Param({"json-string", "json-open", "json-number", "json-key", "json-value", "line", "list", "date"})
    public String where;
    @Param({"false", "true"})
    public boolean fresh;

    private TokenMasks masks;
    private GbnfGrammar grammar;
    private String prefix;
    private GrammarState<?> state;

    @Setup
    public void setUp() throws IOException {
        Tokenizer t = TiktokenFile.load(Path.of("../../shared/llama3/tokenizer.model"));
        byte[][] vocabulary = new byte[t.vocabSize()][];
        for (int id = 0; id < t.baseVocabSize(); id++) vocabulary[id] = t.tokenBytes(id);
        masks = new TokenMasks(vocabulary, 0);
        String json;
        try (InputStream in = GbnfMasksBench.class.getResourceAsStream("/dev/llama3j/grammar/json.gbnf")) {
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        grammar = GbnfGrammar.compile(switch (where) {
            case "line" -> LINE;
            case "list" -> LIST;
            case "date" -> DATE;
            default -> json;
        });
        prefix = switch (where) {
            case "json-string" -> "{\"name\": \"Ada Lo";
            case "json-open" -> "{";
            case "json-number" -> "{\"name\": \"Ada\", \"age\": 3";
            case "json-key" -> "{\"name\": \"Ada\", \"age\": 36, ";
            case "json-value" -> "{\"x\": ";
            case "line" -> "Hello, wor";
            case "list" -> "- milk\n- eg";
            default -> "2024-";
        };
        state = grammar.start().accept(prefix);
    }

    @Benchmark
    public long[] mask() {
        return masks.allowed(fresh ? grammar.start().accept(prefix) : state);
    }
}
