package dev.llama3j.cli;

import dev.llama3j.LlamaException;
import dev.llama3j.chat.Message;
import dev.llama3j.generate.Engine;
import dev.llama3j.generate.Llama;
import dev.llama3j.generate.ModelOptions;
import dev.llama3j.guard.Guard;
import dev.llama3j.guard.GuardPolicyFile;
import dev.llama3j.guard.GuardPrompt;
import dev.llama3j.guard.GuardVerdict;
import dev.llama3j.guard.GuardVersion;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code llama3j guard}: classifies a text, an answer to it, or dialogs with a Llama Guard model. */
@Command(name = "guard", mixinStandardHelpOptions = true,
        customSynopsis = "llama3j guard -m MODEL [OPTION...] (TEXT | --dialogs FILE)",
        description = {"Screens text with a Llama Guard model.",
                "Checks a user's TEXT (with --response, the answer to it; with --dialogs, the last turn of each "
                        + "dialog) in the prompt of the model's Hugging Face chat template, and prints one line per "
                        + "conversation: 'safe', or 'unsafe' and the violated categories (S1, ...). An answer of any "
                        + "other shape counts as unsafe. --print-prompt prints the prompt instead (no model needed)."},
        exitCodeListHeading = "Exit status:%n",
        exitCodeList = {"0:all safe", "1:an error", "2:some conversation unsafe"})
final class GuardCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, paramLabel = "PATH",
            description = "the Llama Guard model (a path, or org/name[:QUANT] as complete -m)")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "tokenizer (default: the model's own)")
    Path tokenizerPath;

    @Option(names = "--guard-version", paramLabel = "V",
            description = "3 (Llama Guard 3 8B), 3-1b or 2 (default: from the model's name, else 3)")
    String version;

    @Option(names = "--response", paramLabel = "ANSWER", description = "check this answer to TEXT instead of TEXT")
    String response;

    @Option(names = "--dialogs", paramLabel = "FILE",
            description = "a JSON list of dialogs (as chat --dialogs): the last turn of each is checked; system and "
                    + "tool messages are left out (the guard's prompt has no place for them)")
    Path dialogsFile;

    @Option(names = "--exclude", split = ",", paramLabel = "CODE",
            description = "categories to leave out of the prompt, e.g. S6,S7")
    List<String> excluded = new ArrayList<>();

    @Option(names = "--categories", paramLabel = "FILE",
            description = "custom categories instead of the model's: a JSON object of code to text, e.g. "
                    + "{\"S1\": \"Violent Crimes.\"}")
    Path categoriesFile;

    @Option(names = "--score", description = "also print the probability the model gave 'unsafe'")
    boolean score;

    @Option(names = "--print-prompt", description = "print the prompt that would be sent, and exit")
    boolean printPrompt;

    @Option(names = "--logit-bias", paramLabel = "ID=BIAS",
            description = "add BIAS to token ID's logit at every step (repeatable; llama.cpp's option)")
    List<String> logitBias = new ArrayList<>();

    @Option(names = "--max-gen-len", defaultValue = "24", paramLabel = "N",
            description = "most tokens of an answer (default: ${DEFAULT-VALUE})")
    int maxGenLen;

    @Mixin
    NumericsOptions numerics = new NumericsOptions();

    @Parameters(paramLabel = "TEXT", arity = "0..1", description = "a user's message to check")
    String text;

    @Override
    public Integer call() throws Exception {
        List<List<Message>> conversations = conversations();
        if (maxGenLen < 1) {
            throw new LlamaException("--max-gen-len must be an integer >= 1, got " + maxGenLen);
        }
        GuardVersion v = version != null ? GuardVersion.parse(version)
                : model != null ? GuardVersion.detect(ModelLocation.name(model))
                : GuardVersion.LLAMA_GUARD_3;
        Set<String> exclude = new LinkedHashSet<>();
        for (String code : excluded) {
            exclude.add(code.strip().toUpperCase(Locale.ROOT));
        }
        Map<String, String> categories = categoriesFile == null ? null : GuardPolicyFile.read(categoriesFile);
        v.checkCodes(exclude, categories);
        if (printPrompt) {
            for (List<Message> c : conversations) {
                System.out.println(GuardPrompt.render(v, c, exclude, categories));
            }
            return 0;
        }
        if (model == null) {
            throw new LlamaException("guard needs a model: -m PATH (or --print-prompt)");
        }
        Map<Integer, Float> bias = GuardOptions.parseBias(logitBias, "--logit-bias");
        boolean anyUnsafe = false;
        ModelOptions options = ModelOptions.of(4096, 1).withNumerics(numerics.numerics());
        try (Llama llama = Llama.build(ModelLocation.resolve(model), tokenizerPath, options);
             Engine engine = llama.newEngine(1)) {
            Guard guard = new Guard(engine, llama.tokenizer(), v, categories, exclude, bias, maxGenLen);
            for (List<Message> c : conversations) {
                GuardVerdict verdict = guard.check(c);
                if (!verdict.wellFormed()) {
                    System.err.println("llama3j: the guard answered " + quoted(verdict.answer())
                            + ", not 'safe' or 'unsafe' and categories: counted as unsafe");
                }
                anyUnsafe |= !verdict.safe();
                String line = verdict.safe() ? "safe" : ("unsafe " + String.join(",", verdict.categories())).strip();
                System.out.println(score ? line + String.format(Locale.ROOT, " score=%.4f", verdict.unsafeScore())
                        : line);
            }
        }
        return anyUnsafe ? 2 : 0;
    }

    /** TEXT (and --response), or the file's dialogs without their system messages. */
    private List<List<Message>> conversations() throws Exception {
        if ((text == null) == (dialogsFile == null)) {
            throw new LlamaException("give the guard a TEXT to check, or --dialogs FILE (not both)");
        }
        if (text != null) {
            return List.of(response == null ? List.of(Message.user(text))
                    : List.of(Message.user(text), Message.assistant(response)));
        }
        if (response != null) {
            throw new LlamaException("--response goes with a TEXT, not with --dialogs");
        }
        List<List<Message>> out = new ArrayList<>();
        for (List<Message> d : ChatCommand.readDialogs(dialogsFile)) {
            out.add(Guard.screenable(d, false));
        }
        return out;
    }

    private static String quoted(String s) {
        String shown = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return "\"" + shown.replace("\n", "\\n") + "\"";
    }
}
