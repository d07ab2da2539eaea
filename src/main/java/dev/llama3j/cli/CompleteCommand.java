package dev.llama3j.cli;

import dev.llama3j.generate.Llama;
import dev.llama3j.generate.TokenListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code llama3j complete}: Meta's example_text_completion.py. */
@Command(name = "complete", mixinStandardHelpOptions = true,
        description = {"Continues each prompt (Meta's example_text_completion.py). Without prompts, runs Meta's four",
                "example prompts. One prompt streams token by token; several run as one batch."})
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

    @Option(names = "--max-seq-len", defaultValue = "128", description = "KV cache length (default: ${DEFAULT-VALUE})")
    int maxSeqLen;

    @Option(names = "--max-gen-len", defaultValue = "64", description = "most tokens to generate (default: ${DEFAULT-VALUE})")
    int maxGenLen;

    @Option(names = "--echo", description = "include the prompt in the output (and its logprobs)")
    boolean echo;

    @Parameters(paramLabel = "PROMPT", arity = "0..*", description = "prompts (default: Meta's example prompts)")
    List<String> prompts;

    @Override
    public Integer call() {
        List<String> ps = prompts == null || prompts.isEmpty() ? META_EXAMPLE_PROMPTS : prompts;
        PrintStream out = System.out;
        try (Llama llama = options.build(maxSeqLen)) {
            boolean stream = ps.size() == 1;
            Output.Streamer streamer = stream ? new Output.Streamer(llama, out) : null;
            if (stream) {
                out.println(ps.get(0));
                out.print("> ");
                if (echo) {
                    out.print(ps.get(0));
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
                Output.printTiming(System.err, llama, llama.lastStats());
            }
        }
        return 0;
    }
}
