package dev.llama3j.bench;

import dev.llama3j.model.LayerWeights;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.Transformer;
import dev.llama3j.tensor.Parallel;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * llama-bench's two tests on a loaded model: {@code ppN} (a prompt of N random tokens as one forward pass from an
 * empty cache) and {@code tgN} (N single-token forward passes from an empty cache). Each test runs once to warm up,
 * then {@code reps} timed times; tokens/s per repetition give the mean and standard deviation.
 */
public final class ModelBenchmark {

    /** One row of the results table. */
    public record Result(String test, int nPrompt, int nGen, int threads, double[] samplesNanos) {
        public int tokens() {
            return nPrompt + nGen;
        }

        public double[] samplesTokensPerSecond() {
            double[] ts = new double[samplesNanos.length];
            for (int i = 0; i < ts.length; i++) {
                ts[i] = tokens() * 1e9 / samplesNanos[i];
            }
            return ts;
        }

        public double avgTs() {
            return mean(samplesTokensPerSecond());
        }

        public double stddevTs() {
            return stddev(samplesTokensPerSecond());
        }

        public double avgNs() {
            return mean(samplesNanos);
        }

        public double stddevNs() {
            return stddev(samplesNanos);
        }
    }

    private final LlamaWeights weights;
    private final SplittableRandom random = new SplittableRandom(42);

    public ModelBenchmark(LlamaWeights weights) {
        this.weights = weights;
    }

    public Result prompt(int n, int threads, int reps) {
        Parallel.setThreads(threads);
        Transformer model = new Transformer(weights, 1, n);
        int[][] tokens = {randomTokens(n)};
        model.forward(tokens, 0, false);
        double[] samples = new double[reps];
        for (int r = 0; r < reps; r++) {
            tokens[0] = randomTokens(n);
            long t0 = System.nanoTime();
            model.forward(tokens, 0, false);
            samples[r] = System.nanoTime() - t0;
        }
        return new Result("pp" + n, n, 0, threads, samples);
    }

    public Result generate(int n, int threads, int reps) {
        Parallel.setThreads(threads);
        Transformer model = new Transformer(weights, 1, n);
        // the warm-up is the whole test, as for prompts: one token leaves the JIT compiling the decode path's
        // Java-side steps through the first tens of tokens (llama-bench, with no JIT, warms up on one token)
        decode(model, randomTokens(n));
        double[] samples = new double[reps];
        for (int r = 0; r < reps; r++) {
            samples[r] = decode(model, randomTokens(n));
        }
        return new Result("tg" + n, 0, n, threads, samples);
    }

    /** Nanoseconds to decode {@code tokens} one at a time from an empty cache. */
    private static long decode(Transformer model, int[] tokens) {
        long t0 = System.nanoTime();
        for (int pos = 0; pos < tokens.length; pos++) {
            model.forward(new int[][] {{tokens[pos]}}, pos, false);
        }
        return System.nanoTime() - t0;
    }

    private int[] randomTokens(int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = random.nextInt(weights.config().vocabSize());
        }
        return t;
    }

    /** Weights and norms: what llama-bench reports as params. */
    public static long parameterCount(LlamaWeights w) {
        long n = (long) w.tokenEmbeddings().rows() * w.tokenEmbeddings().cols() + w.norm().length;
        if (w.output() != w.tokenEmbeddings()) {
            n += (long) w.output().rows() * w.output().cols();
        }
        for (LayerWeights l : w.layers()) {
            for (var m : List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3())) {
                n += (long) m.rows() * m.cols();
            }
            n += l.attentionNorm().length + l.ffnNorm().length;
        }
        return n;
    }

    /** Bytes of all weight tensors as stored (norms counted as float32, as GGUF stores them): llama-bench's size. */
    public static long tensorBytes(LlamaWeights w) {
        long n = w.byteSize() + 4L * w.norm().length;
        for (LayerWeights l : w.layers()) {
            n += 4L * (l.attentionNorm().length + l.ffnNorm().length);
        }
        return n;
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return v.length == 0 ? 0 : s / v.length;
    }

    /** Sample standard deviation (n - 1), as llama-bench computes it. */
    static double stddev(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.length - 1));
    }

    public static List<Integer> parseList(String csv, String option) {
        List<Integer> out = new ArrayList<>();
        for (String part : csv.split(",")) {
            try {
                int v = Integer.parseInt(part.strip());
                if (v < 0) {
                    throw new NumberFormatException();
                }
                out.add(v);
            } catch (NumberFormatException e) {
                throw new dev.llama3j.LlamaException(option + ": expected comma-separated non-negative integers, got '"
                        + csv + "'");
            }
        }
        return out;
    }
}
