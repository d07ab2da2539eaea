package dev.llama3j.cli;

import dev.llama3j.LlamaException;
import dev.llama3j.format.ModelFiles;
import dev.llama3j.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/** {@code llama3j bench-tokenizer}: single-threaded encode throughput. */
@Command(name = "bench-tokenizer", mixinStandardHelpOptions = true,
        description = {"Measures the tokenizer's encode speed on one thread.",
                "Prints tokens/s and MB/s for generated English-like text, or for a UTF-8 text file."})
public final class BenchTokenizerCommand implements Callable<Integer> {

    @Option(names = "--tokenizer", required = true, paramLabel = "PATH", description = "tokenizer.model, tokenizer.json or a .gguf model")
    Path tokenizerPath;

    @Option(names = "--file", paramLabel = "F", description = "UTF-8 text to encode instead of generated text")
    Path file;

    @Option(names = "--mb", defaultValue = "4", paramLabel = "N", description = "MB of generated text (default 4)")
    int megabytes;

    @Option(names = "--rounds", defaultValue = "5", paramLabel = "R", description = "timed rounds after 2 warm-up rounds (default 5)")
    int rounds;

    /** Common English words: the generated text has the token statistics of ordinary prose. */
    private static final String[] WORDS = ("the of and to a in is it you that he was for on are with as I his they be at"
            + " one have this from or had by hot word but what some we can out other were all there when up use your how"
            + " said an each she which do their time if will way about many then them write would like so these her long"
            + " make thing see him two has look more day could go come did number sound no most people my over know water"
            + " than call first who may down side been now find any new work part take get place made live where after back"
            + " little only round man year came show every good me give our under name very through just form sentence great"
            + " think say help low line differ turn cause much mean before move right boy old too same tell does set three"
            + " want air well also play small end put home read hand port large spell add even land here must big high such"
            + " follow act why ask men change went light kind off need house picture try us again animal point mother world"
            + " near build self earth father head stand own page should country found answer school grow study still learn"
            + " plant cover food sun four between state keep eye never last let thought city tree cross farm hard start might"
            + " story saw far sea draw left late run don't while press close night real life few north open seem together"
            + " next white children begin got walk example ease paper group always music those both mark often letter until"
            + " mile river car feet care second book carry took science eat room friend began idea fish mountain stop once"
            + " base hear horse cut sure watch color face wood main enough plain girl usual young ready above ever red list"
            + " though feel talk bird soon body dog family direct pose leave song measure door product black short numeral"
            + " class wind question happen complete ship area half rock order fire south problem piece told knew pass since"
            + " top whole king space heard best hour better true during hundred five remember step early hold west ground"
            + " interest reach fast verb sing listen six table travel less morning ten simple several vowel toward war lay"
            + " against pattern slow center love person money serve appear road map rain rule govern pull cold notice voice"
            + " unit power town fine certain fly fall lead cry dark machine note wait plan figure star box noun field rest"
            + " correct able pound done beauty drive stood contain front teach week final gave green oh quick develop ocean"
            + " warm free minute strong special mind behind clear tail produce fact street inch multiply nothing course stay"
            + " wheel full force blue object decide surface deep moon island foot system busy test record boat common gold"
            + " possible plane stead dry wonder laugh thousand ago ran check game shape equate miss brought heat snow tire"
            + " bring yes distant fill east paint language among").split(" ");

    @Override
    public Integer call() throws IOException {
        if (megabytes < 1 || megabytes > 1024) {
            throw new LlamaException("--mb must be 1..1024, got " + megabytes);
        }
        if (rounds < 1) {
            throw new LlamaException("--rounds must be at least 1, got " + rounds);
        }
        Tokenizer tokenizer = ModelFiles.readTokenizerFile(tokenizerPath).tokenizer();
        String text = file != null ? StrictUtf8.readFile(file) : generate(megabytes << 20);
        double mb = text.getBytes(StandardCharsets.UTF_8).length / 1e6;
        int tokens = 0;
        for (int i = 0; i < 2; i++) {
            tokens = tokenizer.encode(text, false, false).length;
        }
        double best = Double.MAX_VALUE;
        for (int i = 0; i < rounds; i++) {
            long t0 = System.nanoTime();
            tokens = tokenizer.encode(text, false, false).length;
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        System.out.printf("%.2f MB (%s) -> %d tokens; best of %d rounds: %.3f s = %.2f M tokens/s, %.1f MB/s (1 thread)%n",
                mb, file != null ? file : "generated English-like text", tokens, rounds, best,
                tokens / best / 1e6, mb / best);
        return 0;
    }

    /** Deterministic English-like prose: sentences of common words, commas, numbers, paragraphs. */
    static String generate(int bytes) {
        SplittableRandom random = new SplittableRandom(20240418);
        StringBuilder sb = new StringBuilder(bytes + 100);
        while (sb.length() < bytes) {
            int words = 6 + random.nextInt(14);
            for (int w = 0; w < words; w++) {
                String word = WORDS[random.nextInt(WORDS.length)];
                if (w == 0) {
                    sb.append(Character.toUpperCase(word.charAt(0))).append(word, 1, word.length());
                } else {
                    sb.append(' ');
                    if (random.nextInt(40) == 0) {
                        sb.append(random.nextInt(10_000));
                    } else {
                        sb.append(word);
                    }
                }
                if (w + 1 < words && random.nextInt(10) == 0) {
                    sb.append(',');
                }
            }
            sb.append(random.nextInt(12) == 0 ? '?' : '.');
            sb.append(random.nextInt(6) == 0 ? "\n\n" : " ");
        }
        return sb.toString();
    }
}
