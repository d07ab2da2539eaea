package dev.llama3j.cli;

import dev.llama3j.LlamaException;
import dev.llama3j.chat.Message;
import dev.llama3j.generate.Engine;
import dev.llama3j.generate.Llama;
import dev.llama3j.generate.ModelOptions;
import dev.llama3j.guard.Guard;
import dev.llama3j.guard.GuardPolicyFile;
import dev.llama3j.guard.GuardVerdict;
import dev.llama3j.guard.GuardVersion;
import dev.llama3j.tensor.Numerics;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Screening a chat with a Llama Guard model: {@code --guard MODEL} and how. */
final class GuardOptions {
    /** Llama 3's context: what the guard can take at least. */
    private static final int LLAMA3_CONTEXT = Llama.LLAMA3_MAX_SEQ_LEN;

    @Option(names = "--guard", paramLabel = "MODEL",
            description = "screen each user message (and each answer) with this Llama Guard model")
    Path model;

    @Option(names = "--guard-mode", defaultValue = "both", paramLabel = "MODE",
            description = "input, output or both (default: ${DEFAULT-VALUE}); screened answers are shown once checked,"
                    + " not streamed")
    String mode;

    @Option(names = "--guard-version", paramLabel = "V",
            description = "3, 3-1b or 2 (default: from the guard model's name, else 3)")
    String version;

    @Option(names = "--guard-categories", paramLabel = "FILE",
            description = "custom categories for the guard (as guard --categories)")
    Path categoriesFile;

    @Option(names = "--guard-logit-bias", paramLabel = "ID=BIAS", hidden = true,
            description = "add BIAS to token ID's logit in the guard's answers (forces verdicts in tests)")
    List<String> logitBias = new ArrayList<>();

    @Option(names = "--guard-max-gen-len", defaultValue = "" + Guard.MAX_TOKENS, paramLabel = "N", hidden = true,
            description = "most tokens of the guard's answer")
    int maxGenLen;

    /** {@code ID=BIAS} options (llama.cpp's --logit-bias), or a one-line error naming {@code option}. */
    static Map<Integer, Float> parseBias(List<String> values, String option) {
        Map<Integer, Float> bias = new LinkedHashMap<>();
        for (String b : values) {
            String[] kv = b.split("=", 2);
            try {
                bias.put(Integer.parseInt(kv[0].strip()), Float.parseFloat(kv[1].strip()));
            } catch (RuntimeException e) {
                throw new LlamaException(option + ": expected ID=BIAS (e.g. 15043=-100), got '" + b + "'");
            }
        }
        return bias;
    }

    /**
     * Checks the options and loads the guard model, with room for {@code contextLength} positions of conversation
     * plus its template; null when no guard is asked for.
     */
    Session open(int contextLength) {
        if (model == null) {
            return null;
        }
        boolean input = mode.equals("input") || mode.equals("both");
        boolean output = mode.equals("output") || mode.equals("both");
        if (!input && !output) {
            throw new LlamaException("--guard-mode must be input, output or both, got '" + mode + "'");
        }
        GuardVersion v = version != null ? GuardVersion.parse(version)
                : GuardVersion.detect(ModelLocation.name(model));
        Map<String, String> categories = categoriesFile == null ? null : GuardPolicyFile.read(categoriesFile);
        Map<Integer, Float> bias = parseBias(logitBias, "--guard-logit-bias");
        // room for the template (categories, instructions) beside the conversation
        int positions = Math.min(contextLength + 1024, Math.max(LLAMA3_CONTEXT, contextLength));
        Llama llama = Llama.build(ModelLocation.resolve(model), null,
                ModelOptions.of(positions, 1).withNumerics(Numerics.INT8));
        try {
            Engine engine = llama.newEngine(1);
            return new Session(llama, engine,
                    new Guard(engine, llama.tokenizer(), v, categories, Set.of(), bias, maxGenLen), input, output);
        } catch (RuntimeException e) {
            llama.close();
            throw e;
        }
    }

    /** A loaded guard model and what it screens. */
    record Session(Llama llama, Engine engine, Guard guard, boolean input, boolean output) implements AutoCloseable {

        /** The verdict on the dialog's last user message ({@link Guard#checkInput}). */
        GuardVerdict checkInput(List<Message> dialog) {
            return guard.checkInput(dialog);
        }

        /** The verdict on an answer to the dialog ({@link Guard#checkOutput}). */
        GuardVerdict checkOutput(List<Message> dialog, String answer) {
            return guard.checkOutput(dialog, answer);
        }

        /** The line shown instead of a refused message or a withheld answer. */
        static String refusal(String what, GuardVerdict v) {
            String codes = v.categories().isEmpty() ? "" : " (" + String.join(",", v.categories()) + ")";
            return "[" + what + " by the guard: unsafe" + codes + "]";
        }

        @Override
        public void close() {
            engine.close();
            llama.close();
        }
    }
}
