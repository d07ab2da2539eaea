package dev.llama3j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.LlamaException;
import dev.llama3j.bench.BatchedBenchmark;
import dev.llama3j.bench.ModelBenchmark;
import dev.llama3j.cluster.Cluster;
import dev.llama3j.format.ModelFiles;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.tensor.Parallel;
import dev.llama3j.tensor.kernel.NativeKernels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code llama3j bench}: llama-bench's prompt and generation tests, table and JSON, so numbers line up. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measures prompt and generation speed, like llama-bench.",
                "As llama.cpp's llama-bench: ppN processes an N-token prompt in one forward pass, tgN generates N tokens one at a time; both are "
                        + "reported in tokens/s. Each list is comma-separated: every combination is measured.",
                "With --batched, as llama-batched-bench: B sequences (-npl) each read a PP-token prompt (-npp, all in "
                        + "one step), then generate TG tokens (-ntg) in steps that extend all B at once; speeds count "
                        + "the tokens of all sequences."})
final class BenchCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, paramLabel = "PATH",
            description = "model file or folder, or org/name[:QUANT] (as complete -m)")
    Path model;

    @Option(names = "--server", paramLabel = "URL",
            description = "drive an OpenAI-compatible server instead: -npl clients, -npp/-ntg tokens, -r requests each")
    String server;

    @Option(names = "--vocab", defaultValue = "128000", paramLabel = "N",
            description = "with --server: prompt token ids are drawn below N (default: ${DEFAULT-VALUE})")
    int vocab;

    @Option(names = {"-p", "--n-prompt"}, defaultValue = "512", paramLabel = "LIST",
            description = "prompt lengths (default: ${DEFAULT-VALUE}; 0 skips)")
    String prompts;

    @Option(names = {"-n", "--n-gen"}, defaultValue = "128", paramLabel = "LIST",
            description = "generation lengths (default: ${DEFAULT-VALUE}; 0 skips)")
    String gens;

    @Option(names = {"-t", "--threads"}, paramLabel = "LIST", description = "thread counts (default: one per core)")
    String threads;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "5", paramLabel = "N",
            description = "timed repetitions per test (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = {"-o", "--output"}, defaultValue = "md", paramLabel = "FORMAT",
            description = "md or json (default: ${DEFAULT-VALUE})")
    String output;

    @Mixin
    NumericsOptions numerics = new NumericsOptions();

    @Option(names = "--allreduce", description = "under mpirun: the time of one all-reduce (the sum of the ranks'"
            + " parts) of 4096 and 8192 floats, a 8B's and a 70B's hidden vector")
    boolean allReduce;

    @Option(names = "--batched", description = "llama-batched-bench's test instead: parallel sequences (-npp, -ntg, -npl)")
    boolean batched;

    @Option(names = "-npp", defaultValue = "128", paramLabel = "LIST",
            description = "with --batched: prompt tokens per sequence (default: ${DEFAULT-VALUE})")
    String batchedPrompts;

    @Option(names = "-ntg", defaultValue = "128", paramLabel = "LIST",
            description = "with --batched: generated tokens per sequence (default: ${DEFAULT-VALUE})")
    String batchedGens;

    @Option(names = "-npl", defaultValue = "1,2,4,8", paramLabel = "LIST",
            description = "with --batched: parallel sequences (default: ${DEFAULT-VALUE})")
    String batchedParallel;

    @Option(names = "--output-format", defaultValue = "md", paramLabel = "FORMAT",
            description = "with --batched: md or jsonl (default: ${DEFAULT-VALUE})")
    String batchedOutput;

    /** Kept so that scripts written for it still run: int8 activations are now the default. */
    @Mixin
    CacheOptions cache = new CacheOptions();

    @Option(names = "--int8-activations", hidden = true, description = "deprecated, no effect (the default)")
    boolean int8Activations;

    @Override
    public Integer call() throws Exception {
        if (allReduce) {
            return allReduce();
        }
        if (server != null) {
            return serverBench();
        }
        if (model == null) {
            throw new LlamaException("bench needs --model (or --server URL)");
        }
        model = ModelLocation.resolve(model);
        if (batched) {
            return batched();
        }
        if (!output.equals("md") && !output.equals("json")) {
            throw new LlamaException("--output must be md or json, got '" + output + "'");
        }
        if (reps < 1) {
            throw new LlamaException("--repetitions must be >= 1, got " + reps);
        }
        List<Integer> ps = ModelBenchmark.parseList(prompts, "--n-prompt");
        List<Integer> ns = ModelBenchmark.parseList(gens, "--n-gen");
        if (ps.stream().allMatch(p -> p == 0) && ns.stream().allMatch(n -> n == 0)) {
            throw new LlamaException("nothing to measure: every --n-prompt and --n-gen length is 0");
        }
        List<Integer> ts = threads == null ? List.of(Runtime.getRuntime().availableProcessors())
                : ModelBenchmark.parseList(threads, "--threads");
        for (int t : ts) {
            if (t < 1) {
                throw new LlamaException("--threads must be >= 1, got " + t);
            }
        }
        int original = Parallel.threads();
        try (LlamaWeights w = ModelFiles.loadWeights(model, numerics.numerics())) {
            ModelBenchmark bench = new ModelBenchmark(w);
            long params = ModelBenchmark.parameterCount(w);
            long size = ModelBenchmark.tensorBytes(w);
            String type = describe(w, params);
            List<ModelBenchmark.Result> results = new ArrayList<>();
            boolean md = output.equals("md");
            List<String> tests = new ArrayList<>();
            ps.stream().filter(p -> p > 0).forEach(p -> tests.add("pp" + p));
            ns.stream().filter(n -> n > 0).forEach(n -> tests.add("tg" + n));
            BenchTable table = new BenchTable(List.of(List.of(type), List.of(BenchTable.size(size)),
                    List.of(BenchTable.params(params)), List.of(backend()), ts.stream().map(String::valueOf).toList(),
                    tests));
            if (md) {
                System.out.println(table.header());
                System.out.println(table.separator());
            }
            for (int t : ts) {
                for (int p : ps) {
                    if (p > 0) {
                        results.add(report(bench.prompt(p, t, reps), md ? table : null, type, size, params));
                    }
                }
                for (int n : ns) {
                    if (n > 0) {
                        results.add(report(bench.generate(n, t, reps), md ? table : null, type, size, params));
                    }
                }
            }
            if (!md) {
                System.out.println(json(results, type, size, params));
            }
        } finally {
            Parallel.setThreads(original);
        }
        return 0;
    }

    /** The all-reduce of the ranks of an mpirun job: microseconds per call for two vector sizes. */
    private int allReduce() {
        Cluster cluster = Cluster.current();
        if (cluster == null) {
            throw new LlamaException("--allreduce measures the ranks of a job: run it under mpirun -np N (N >= 2)");
        }
        System.out.println("| ranks | floats | all-reduce (us) |");
        System.out.println("|---:|---:|---:|");
        for (int floats : new int[] {4096, 8192}) {
            double us = cluster.timeAllReduce(floats, 5000);
            System.out.printf(java.util.Locale.ROOT, "| %d | %d | %.1f |%n", cluster.ranks(), floats, us);
        }
        return 0;
    }

    /** Concurrent streaming clients against a server: aggregate tokens/s and time to first token. */
    private int serverBench() throws Exception {
        List<Integer> pps = ModelBenchmark.parseList(batchedPrompts, "-npp");
        List<Integer> tgs = ModelBenchmark.parseList(batchedGens, "-ntg");
        List<Integer> pls = ModelBenchmark.parseList(batchedParallel, "-npl");
        if (pls.stream().anyMatch(p -> p < 1) || pps.stream().anyMatch(p -> p < 1) || tgs.stream().anyMatch(n -> n < 1)) {
            throw new LlamaException("with --server, -npl, -npp and -ntg must list numbers >= 1");
        }
        if (reps < 1 || vocab < 1) {
            throw new LlamaException("--repetitions and --vocab must be >= 1");
        }
        dev.llama3j.bench.ServerBenchmark bench = new dev.llama3j.bench.ServerBenchmark(server);
        bench.run(1, 1, pps.getFirst(), Math.min(8, tgs.getFirst()), vocab);   // warm-up, untimed
        System.out.printf("| %7s | %8s | %6s | %6s | %8s | %10s | %9s |%n", "clients", "requests", "PP", "TG",
                "tokens", "t/s", "TTFT s");
        System.out.printf("|%s|%s|%s|%s|%s|%s|%s|%n", "-".repeat(9), "-".repeat(10), "-".repeat(8), "-".repeat(8),
                "-".repeat(10), "-".repeat(12), "-".repeat(11));
        for (int pp : pps) {
            for (int tg : tgs) {
                for (int c : pls) {
                    dev.llama3j.bench.ServerBenchmark.Result r = bench.run(c, reps, pp, tg, vocab);
                    System.out.printf("| %7d | %8d | %6d | %6d | %8d | %10.2f | %9.3f |%n", c, r.requests(), pp, tg,
                            r.tokens(), r.tokensPerSecond(), r.medianTtftSeconds());
                    System.out.flush();
                }
            }
        }
        return 0;
    }

    /** llama-batched-bench: its table (md) or its JSON lines, with its column and field names. */
    private int batched() throws Exception {
        if (!batchedOutput.equals("md") && !batchedOutput.equals("jsonl")) {
            throw new LlamaException("--output-format must be md or jsonl, got '" + batchedOutput + "'");
        }
        List<Integer> pps = ModelBenchmark.parseList(batchedPrompts, "-npp");
        List<Integer> tgs = ModelBenchmark.parseList(batchedGens, "-ntg");
        List<Integer> pls = ModelBenchmark.parseList(batchedParallel, "-npl");
        if (pls.stream().anyMatch(p -> p < 1)) {
            throw new LlamaException("-npl must list numbers >= 1, got '" + batchedParallel + "'");
        }
        if (pps.stream().allMatch(p -> p == 0) && tgs.stream().allMatch(n -> n == 0)) {
            throw new LlamaException("nothing to measure: every -npp and -ntg length is 0");
        }
        int t = threads == null ? Runtime.getRuntime().availableProcessors()
                : ModelBenchmark.parseList(threads, "--threads").getFirst();
        if (t < 1) {
            throw new LlamaException("--threads must be >= 1, got " + t);
        }
        int maxSeqLen = 1;
        int nKvMax = 1;
        for (int pp : pps) {
            for (int tg : tgs) {
                maxSeqLen = Math.max(maxSeqLen, pp + tg);
                for (int pl : pls) {
                    nKvMax = Math.max(nKvMax, pl * (pp + tg));
                }
            }
        }
        boolean md = batchedOutput.equals("md");
        ObjectMapper json = new ObjectMapper();
        int original = Parallel.threads();
        try (LlamaWeights w = ModelFiles.loadWeights(model, numerics.numerics())) {
            BatchedBenchmark bench = new BatchedBenchmark(w, maxSeqLen, nKvMax, t, cache.keys(), cache.values());
            // warm-up: the first test once, untimed (compiles the kernels, makes the repacked copies)
            bench.run(pps.getFirst(), Math.min(tgs.getFirst(), 16), pls.getFirst());
            if (md) {
                System.out.printf("%nllama3j: n_kv_max = %d, n_threads = %d, activations = %s%n%n", nKvMax, t,
                        numerics.exact ? "f32" : "int8");
                System.out.printf("|%6s | %6s | %4s | %6s | %8s | %8s | %8s | %8s | %8s | %8s |%n", "PP", "TG", "B",
                        "N_KV", "T_PP s", "S_PP t/s", "T_TG s", "S_TG t/s", "T s", "S t/s");
                System.out.printf("|%6s-|-%6s-|-%4s-|-%6s-|-%8s-|-%8s-|-%8s-|-%8s-|-%8s-|-%8s-|%n", "------",
                        "------", "----", "------", "--------", "--------", "--------", "--------", "--------",
                        "--------");
            }
            for (int pp : pps) {
                for (int tg : tgs) {
                    for (int pl : pls) {
                        BatchedBenchmark.Result r = bench.run(pp, tg, pl);
                        if (md) {
                            System.out.printf("|%6d | %6d | %4d | %6d | %8.3f | %8.2f | %8.3f | %8.2f | %8.3f | %8.2f |%n",
                                    pp, tg, pl, r.nKv(), r.promptSeconds(), r.promptSpeed(), r.generationSeconds(),
                                    r.generationSpeed(), r.seconds(), r.speed());
                        } else {
                            ObjectNode o = json.createObjectNode();
                            o.put("n_kv_max", nKvMax);
                            o.put("is_pp_shared", 0);
                            o.put("n_threads", t);
                            o.put("activations", numerics.exact ? "f32" : "int8");
                            o.put("pp", pp);
                            o.put("tg", tg);
                            o.put("pl", pl);
                            o.put("n_kv", r.nKv());
                            o.put("t_pp", r.promptSeconds());
                            o.put("speed_pp", r.promptSpeed());
                            o.put("t_tg", r.generationSeconds());
                            o.put("speed_tg", r.generationSpeed());
                            o.put("t", r.seconds());
                            o.put("speed", r.speed());
                            System.out.println(json.writeValueAsString(o));
                        }
                        System.out.flush();
                    }
                }
            }
        } finally {
            Parallel.setThreads(original);
        }
        return 0;
    }

    private ModelBenchmark.Result report(ModelBenchmark.Result r, BenchTable table, String type, long size,
                                         long params) {
        if (table != null) {
            System.out.println(table.line(type, BenchTable.size(size), BenchTable.params(params), backend(),
                    String.valueOf(r.threads()), r.test(), BenchTable.rate(r.avgTs(), r.stddevTs())));
            System.out.flush();
        }
        return r;
    }

    /** Java kernels, and the native ones where they compute the Q4_0/Q4_K products ({@link NativeKernels}). */
    private String backend() {
        if (numerics.exact) {
            return "CPU (Java, exact)";
        }
        return switch (NativeKernels.active()) {
            case VNNI -> "CPU (Java+VNNI)";
            case AVX2 -> "CPU (Java+AVX2)";
            case NONE -> "CPU (Java)";
        };
    }

    private String json(List<ModelBenchmark.Result> results, String type, long size, long params) throws Exception {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ArrayNode arr = m.createArrayNode();
        for (ModelBenchmark.Result r : results) {
            ObjectNode o = arr.addObject();
            o.put("build_commit", "llama3j");
            o.put("model_filename", model.toString());
            o.put("model_type", type);
            o.put("model_size", size);
            o.put("model_n_params", params);
            o.put("n_threads", r.threads());
            o.put("activations", numerics.exact ? "f32" : "int8");
            o.put("n_prompt", r.nPrompt());
            o.put("n_gen", r.nGen());
            o.put("test", r.test());
            o.put("avg_ns", Math.round(r.avgNs()));
            o.put("stddev_ns", Math.round(r.stddevNs()));
            o.put("avg_ts", r.avgTs());
            o.put("stddev_ts", r.stddevTs());
            ArrayNode ns = o.putArray("samples_ns");
            for (double v : r.samplesNanos()) {
                ns.add(Math.round(v));
            }
            ArrayNode tps = o.putArray("samples_ts");
            for (double v : r.samplesTokensPerSecond()) {
                tps.add(v);
            }
        }
        return m.writeValueAsString(arr);
    }

    /** "llama 1B Q4_0"-style: architecture, size class from the parameter count, weight type of the layers. */
    private static String describe(LlamaWeights w, long params) {
        String size = params >= 1e9 ? Math.round(params / 1e9) + "B"
                : params >= 1e6 ? Math.round(params / 1e6) + "M" : Math.round(params / 1e3) + "K";
        return "llama " + size + " " + w.layers().get(0).w1().type();
    }
}
