package dev.llama3j.bench;

import dev.llama3j.chat.Message;
import dev.llama3j.generate.Engine;
import dev.llama3j.generate.Llama;
import dev.llama3j.generate.ModelOptions;
import dev.llama3j.guard.Guard;
import dev.llama3j.guard.GuardVersion;
import dev.llama3j.tensor.Numerics;
import dev.llama3j.tensor.Parallel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The latency a Llama Guard model adds to each chat turn, beside the assistant's own time for the turn, as
 * {@code chat --guard} and {@code serve --guard} screen: the guard checks the user's message (input), the assistant
 * answers, the guard checks the answer (output), the guard on its own engine of one slot. Latency does not depend
 * on the weights' values, so random-weight files of the real shapes ({@code synth}) measure it; the guard answers 3
 * tokens, as a real one answers "\n\nsafe" and its end token. The assistant answers {@code answerTokens} tokens;
 * the guard checks an English answer of as many tokens. Each turn has its own user message. Run:
 * <pre>
 * ./llama3j synth --shape llama-3.2-1b --type q4_0 --tokenizer ../shared/llama3/tokenizer.model -o /tmp/g1b.gguf
 * ./llama3j synth --shape llama-3.1-8b --type q4_0 --tokenizer ../shared/llama3/tokenizer.model -o /tmp/8b.gguf
 * mvn -q -o test-compile -pl llama3j-core
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmn64m \
 *   -cp llama3j-core/target/test-classes:target/llama3j.jar \
 *   dev.llama3j.bench.GuardLatencyBench /tmp/8b.gguf /tmp/g1b.gguf 128 7 2
 * </pre>
 * (arguments: assistant, guard, answer tokens, measured turns after one warm-up turn, threads; the jar is the one
 * {@code ./llama3j} builds).
 * Prints each turn's times in ms, then the medians; then, for {@code --guard-mode input}, input checks that follow
 * each other (the guard's one sequence then keeps the template's start between them). On a machine shared with
 * other work, each turn waits until the others are quiet, and says how much of the CPUs they took during it.
 */
public final class GuardLatencyBench {
    private static final List<String> QUESTIONS = List.of(
            "What are the main differences between a crocodile and an alligator, and where does each live?",
            "Can you explain how compound interest works, with a short example using a savings account?",
            "I am planning a three day trip to Lisbon in spring. What should I not miss, and what should I skip?",
            "How do I make a sourdough starter from scratch, and how long does it take before I can bake?",
            "Why is the sky blue during the day but red and orange at sunset? Please keep it simple.",
            "What is the difference between a virus and a bacterium, and why do antibiotics only work on one?",
            "Write a short note to my neighbour asking them to water my plants while I am away next week.",
            "How does a heat pump heat a house in winter when the air outside is colder than the air inside?");

    private static final String ANSWER = "Sure. Here is a short overview, step by step, with the details that"
            + " matter most in practice. First, it helps to know where the idea comes from and why people use"
            + " it: most of the confusion comes from a few common myths, which are worth clearing up before going"
            + " further. Second, the basic process is simpler than it looks. You start with a small amount, check"
            + " it regularly, and adjust as you go; the first attempt rarely works perfectly, and that is normal."
            + " Third, keep notes of what you changed and what happened, so that you can repeat what worked. A"
            + " few practical tips: do not rush the early stages, measure rather than guess, and ask someone with"
            + " experience when something looks wrong. Finally, remember that conditions differ from place to"
            + " place, so the numbers above are a starting point rather than a rule. If you tell me more about"
            + " your situation, I can suggest what to try first and what to watch out for along the way, and I"
            + " can also point you to a few reliable sources where you can read more about each of these steps.";

    /** Each turn waits (up to MAX_WAIT seconds) until other processes take under this share of the CPUs. */
    private static final double QUIET = 0.05;
    private static final int MAX_WAIT = 600;

    private GuardLatencyBench() {}

    public static void main(String[] args) throws Exception {
        Path assistantPath = Path.of(args[0]);
        Path guardPath = Path.of(args[1]);
        int answerTokens = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int turns = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        if (args.length > 4) {
            Parallel.setThreads(Integer.parseInt(args[4]));
        }
        try (Llama assistant = Llama.build(assistantPath, null, ModelOptions.of(4096, 1)
                .withNumerics(Numerics.INT8));
             Engine engine = assistant.newEngine(1);
             Llama guardModel = Llama.build(guardPath, null, ModelOptions.of(8192, 1).withNumerics(Numerics.INT8));
             Engine guardEngine = guardModel.newEngine(1)) {
            Guard guard = new Guard(guardEngine, guardModel.tokenizer(), GuardVersion.LLAMA_GUARD_3_1B, null,
                    Set.of(), Map.of(), 3);
            int[] answerIds = Arrays.copyOf(assistant.tokenizer().encode(ANSWER, false, false), answerTokens);
            String answer = assistant.tokenizer().decode(answerIds);
            System.out.printf("threads %d, answer %d tokens%n", Parallel.threads(), answerTokens);
            System.out.println("mode both: turn, input check ms, assistant's first token ms and whole turn ms,"
                    + " output check ms, checks / turn (guard prompt tokens read: input, output)");
            List<double[]> rows = new ArrayList<>();
            for (int t = 0; t <= turns; t++) {
                List<Message> dialog = List.of(Message.user(QUESTIONS.get(t % QUESTIONS.size())));
                double before = MachineShare.awaitQuiet(QUIET, MAX_WAIT);
                MachineShare share = new MachineShare();
                long r0 = guardEngine.load().promptTokens();
                long t0 = System.nanoTime();
                guard.checkInput(dialog);
                long t1 = System.nanoTime();
                long r1 = guardEngine.load().promptTokens();
                long[] first = new long[1];
                int[] prompt = assistant.chatFormat().encodeDialogPrompt(dialog);
                Engine.Completion c = engine.submit(new Engine.Request(prompt, answerTokens, 0f, 1f, t, false, true),
                        (Engine.Listener) token -> {
                            if (first[0] == 0) {
                                first[0] = System.nanoTime();
                            }
                        }).result().get();
                long t2 = System.nanoTime();
                guard.checkOutput(dialog, answer);
                long t3 = System.nanoTime();
                long r3 = guardEngine.load().promptTokens();
                double[] row = {ms(t1 - t0), ms(first[0] - t1), ms(t2 - t1), ms(t3 - t2)};
                System.out.printf("%s %8.0f %8.0f %8.0f %8.0f %6.3f   (%d, %d; answer %d tokens; others %.0f%% before,"
                        + " %.0f%% during)%n", t == 0 ? "warm" : String.format("%4d", t), row[0], row[1], row[2],
                        row[3], (row[0] + row[3]) / row[2], r1 - r0, r3 - r1, c.tokens().length, 100 * before,
                        100 * share.others());
                if (t > 0) {
                    rows.add(row);
                }
            }
            double[] med = medians(rows);
            System.out.printf("median %6.0f %8.0f %8.0f %8.0f%n", med[0], med[1], med[2], med[3]);
            // mode input: each check follows another input check, whose template the guard's sequence holds
            System.out.println("mode input: input check ms (guard prompt tokens read)");
            List<double[]> alone = new ArrayList<>();
            for (int t = 0; t <= turns; t++) {
                MachineShare.awaitQuiet(QUIET, MAX_WAIT);
                MachineShare share = new MachineShare();
                long r0 = guardEngine.load().promptTokens();
                long t0 = System.nanoTime();
                guard.checkInput(List.of(Message.user(QUESTIONS.get((t + turns + 1) % QUESTIONS.size()))));
                double[] row = {ms(System.nanoTime() - t0)};
                System.out.printf("%s %8.0f   (%d; others %.0f%%)%n", t == 0 ? "first" : String.format("%4d", t),
                        row[0], guardEngine.load().promptTokens() - r0, 100 * share.others());
                if (t > 0) {
                    alone.add(row);
                }
            }
            double input = medians(alone)[0];
            System.out.printf("median %6.0f%n", input);
            System.out.printf("guard (both) / assistant turn: %.3f; input alone: %.3f%n",
                    (med[0] + med[3]) / med[2], input / med[2]);
        }
    }

    private static double[] medians(List<double[]> rows) {
        double[] med = new double[rows.getFirst().length];
        for (int i = 0; i < med.length; i++) {
            int col = i;
            double[] v = rows.stream().mapToDouble(r -> r[col]).sorted().toArray();
            med[i] = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        }
        return med;
    }


    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
