package dev.llama3j.cli;

import dev.llama3j.LlamaException;
import dev.llama3j.generate.Llama;
import dev.llama3j.generate.TokenListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code llama3j complete}: Meta's example_text_completion.py. */
@Command(name = "complete", mixinStandardHelpOptions = true,
        customSynopsis = "llama3j complete --ckpt-dir=PATH [OPTION...] [PROMPT...]",
        description = {"Continues text prompts (Meta's example_text_completion.py).",
                "One PROMPT streams its continuation token by token; several run as one batch. Without a PROMPT, "
                        + "runs Meta's four example prompts."})
final class CompleteCommand implements Callable<Integer> {
    /** The prompts of Meta's example_text_completion.py. */
    static final List<String> META_EXAMPLE_PROMPTS = List.of(
            "I believe the meaning of life is",
            "Simply put, the theory of relativity states that ",
            "A brief message congratulating the team on the launch:\n\n        Hi everyone,\n\n        I just ",
            "Translate English to French:\n\n        sea otter => loutre de mer\n        peppermint => menthe poivrée\n"
                    + "        plush girafe => girafe peluche\n        cheese =>");

    @Mixin
    GenerationOptions options;

    @Option(names = {"--max-seq-len", "--max_seq_len"}, defaultValue = "128", paramLabel = "N",
            description = "KV cache length: prompt and generated tokens (default: ${DEFAULT-VALUE})")
    int maxSeqLen;

    @Option(names = {"--max-gen-len", "--max_gen_len"}, defaultValue = "64", paramLabel = "N",
            description = "most tokens to generate (default: ${DEFAULT-VALUE})")
    int maxGenLen;

    @Option(names = "--echo", description = "include the prompt in the output (and its logprobs)")
    boolean echo;

    @Parameters(paramLabel = "PROMPT", arity = "0..*", description = "prompts (default: Meta's example prompts)")
    List<String> prompts;

    @Override
    public Integer call() {
        List<String> ps = prompts == null || prompts.isEmpty() ? META_EXAMPLE_PROMPTS : prompts;
        options.check(maxSeqLen, maxGenLen, ps.size(), "prompts");
        PrintStream out = System.out;
        try (Llama llama = options.build(maxSeqLen)) {
            List<int[]> promptTokens = encode(llama, ps);
            boolean stream = ps.size() == 1;
            Output.Streamer streamer = stream ? new Output.Streamer(llama, out) : null;
            if (stream) {
                out.println(ps.get(0));
                out.print("> ");
                if (echo) {
                    // as the batch's generation: the prompt's tokens decoded, <|begin_of_text|> included
                    out.print(llama.tokenizer().decode(promptTokens.get(0)));
                }
                out.flush();
            }
            List<Llama.CompletionPrediction> results = llama.textCompletion(ps, options.temperature, options.topP,
                    maxGenLen, options.logprobs, echo, stream ? streamer : TokenListener.NONE);
            for (int i = 0; i < ps.size(); i++) {
                Llama.CompletionPrediction r = results.get(i);
                if (stream) {
                    streamer.finish();
                    out.println();
                } else {
                    out.println(ps.get(i));
                    out.println("> " + r.generation());
                }
                Output.printLogprobs(out, r.tokens(), r.logprobs());
                out.println("\n==================================\n");
            }
            out.flush();
            if (options.timing) {
                Output.printTiming(System.err, llama, llama.lastStats(), true);
            }
        }
        return 0;
    }

    /** The prompts' tokens as textCompletion makes them, each checked against --max-seq-len before any output. */
    private List<int[]> encode(Llama llama, List<String> ps) {
        List<int[]> tokens = new ArrayList<>();
        for (String p : ps) {
            int[] t = llama.tokenizer().encode(p, true, false);
            if (t.length > maxSeqLen) {
                throw new LlamaException("prompt " + (tokens.size() + 1) + " has " + t.length
                        + " tokens (<|begin_of_text|> included), more than --max-seq-len " + maxSeqLen);
            }
            tokens.add(t);
        }
        return tokens;
    }
}
