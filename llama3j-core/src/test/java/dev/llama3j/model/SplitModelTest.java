package dev.llama3j.model;

import dev.llama3j.SharedData;
import dev.llama3j.convert.GgufFileType;
import dev.llama3j.convert.LlamaGgufExport;
import dev.llama3j.convert.RandomWeights;
import dev.llama3j.format.ModelFiles;
import dev.llama3j.tensor.Numerics;
import dev.llama3j.tensor.Parallel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A model split over ranks ({@link ModelSplit}) computes what the whole model does: ranks run here as threads of one
 * JVM that meet at barriers (what MPI does between processes under mpirun), each with its part of the weights, its
 * own KV cache and its own two worker threads. Shapes where the split is awkward: one KV head for six query heads (every
 * rank computes it), a prime vocabulary, FFN and wo column ranges that split quantization blocks, three ranks.
 */
class SplitModelTest {
    @TempDir
    Path dir;

    /** 6 query heads of 16, 1 KV head, a 509-token vocabulary, 160 FFN units: nothing divides evenly. */
    private static final ModelConfig MQA = new ModelConfig(96, 2, 6, 1, 509, 160, 1e-5f, 500000f, null, 8192);
    private static final ModelConfig GQA = new ModelConfig(64, 2, 4, 2, 512, 224, 1e-5f, 500000f,
            RopeScaling.LLAMA_3_1, 131072);

    private static final int[] PROMPT = {1, 17, 200, 5, 99, 301, 42};
    private static final int[] DECODED = {7, 250, 3};

    @Test
    void splitGgufFilesGiveTheWholeModelsLogits() throws Exception {
        for (ModelConfig c : List.of(MQA, GQA)) {
            for (GgufFileType type : List.of(GgufFileType.F32, GgufFileType.Q8_0, GgufFileType.Q4_0)) {
                Path file = dir.resolve(c.nHeads() + "-" + type.cliName + ".gguf");
                LlamaGgufExport.prepare(RandomWeights.create(c, c == MQA, 3), new LlamaGgufExport.Options("split",
                        type, null)).write(file, null);
                for (Numerics numerics : Numerics.values()) {
                    List<float[]> whole = run(ModelFiles.loadWeightsPart(file, numerics, null));
                    for (int ranks : new int[] {2, 3}) {
                        List<float[]> split = runSplit(ranks, g -> ModelFiles.loadWeightsPart(file, numerics, g));
                        // float32 products differ in the order of their sums only; int8 ones also in the blocks
                        // a rank quantizes its inputs in, where its column range splits one
                        double tolerance = numerics == Numerics.EXACT ? 2e-5 : 5e-2;
                        assertClose(split, whole, tolerance, c.nHeads() + " heads, " + type.cliName + ", "
                                + numerics + ", " + ranks + " ranks");
                    }
                }
            }
        }
    }

    /** Meta's two shards, one per rank (each reads its own), and cut across for three ranks. */
    @Test
    void metaShardsGiveTheWholeModelsLogits() throws Exception {
        Path mp2 = SharedData.require("fixtures/meta/tiny-sv-meta-mp2");
        List<float[]> whole = run(ModelFiles.loadWeightsPart(mp2, Numerics.EXACT, null));
        for (int ranks : new int[] {2, 3}) {
            List<float[]> split = runSplit(ranks, g -> ModelFiles.loadWeightsPart(mp2, Numerics.EXACT, g));
            assertClose(split, whole, 2e-5, "tiny-sv-meta-mp2 over " + ranks + " ranks");
        }
    }

    private static void assertClose(List<float[]> got, List<float[]> want, double tolerance, String what) {
        assertThat(got).hasSameSizeAs(want);
        for (int i = 0; i < want.size(); i++) {
            float max = 0;
            for (float v : want.get(i)) {
                max = Math.max(max, Math.abs(v));
            }
            assertThat(got.get(i)).as(what + ", step " + i).hasSameSizeAs(want.get(i));
            for (int j = 0; j < want.get(i).length; j++) {
                assertThat((double) got.get(i)[j]).as(what + ", step " + i + ", logit " + j)
                        .isCloseTo(want.get(i)[j], org.assertj.core.api.Assertions.within(tolerance * max));
            }
        }
    }

    /** A prompt then three decoded tokens: the logits of each step (the prompt's: of its last token). */
    private static List<float[]> run(LlamaWeights w) {
        return run(w, null);
    }

    private static List<float[]> run(LlamaWeights w, Parallel.Workers workers) {
        try (w) {
            Transformer model = new Transformer(w, 1, 64, 64, CacheType.F32, CacheType.F32, workers);
            Sequence s = model.newSequence();
            List<float[]> out = new ArrayList<>();
            out.add(model.forward(List.of(new Transformer.Entry(s, PROMPT)))[0].clone());
            for (int t : DECODED) {
                out.add(model.forward(List.of(new Transformer.Entry(s, new int[] {t})))[0].clone());
            }
            s.close();
            return out;
        }
    }

    @FunctionalInterface
    private interface PartLoader {
        LlamaWeights load(RankGroup group);
    }

    /** Every rank on a thread of its own; rank 0's logits. */
    private static List<float[]> runSplit(int ranks, PartLoader loader) throws Exception {
        LocalRanks group = new LocalRanks(ranks);
        ExecutorService pool = Executors.newFixedThreadPool(ranks);
        try {
            List<Future<List<float[]>>> results = new ArrayList<>();
            for (int r = 0; r < ranks; r++) {
                RankGroup g = group.rank(r);
                results.add(pool.submit(() -> {
                    try (Parallel.Workers two = Parallel.newWorkers(2)) {
                        return run(loader.load(g), two);
                    }
                }));
            }
            List<float[]> first = null;
            for (Future<List<float[]>> f : results) {
                List<float[]> r = f.get(120, TimeUnit.SECONDS);
                first = first == null ? r : first;
            }
            return first;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Ranks as threads: each collective deposits every rank's part, then each rank reads them in rank order. */
    private static final class LocalRanks {
        private final int ranks;
        private final CyclicBarrier barrier;
        private final float[][] floats;
        private final String[] strings;

        LocalRanks(int ranks) {
            this.ranks = ranks;
            this.barrier = new CyclicBarrier(ranks);
            this.floats = new float[ranks][];
            this.strings = new String[ranks];
        }

        private void meet() {
            try {
                barrier.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
                throw new IllegalStateException("the ranks did not meet", e);
            }
        }

        RankGroup rank(int rank) {
            return new RankGroup() {
                @Override
                public int rank() {
                    return rank;
                }

                @Override
                public int ranks() {
                    return ranks;
                }

                @Override
                public void allReduce(float[] x, int off, int len) {
                    floats[rank] = Arrays.copyOfRange(x, off, off + len);
                    meet();
                    System.arraycopy(floats[0], 0, x, off, len);
                    for (int r = 1; r < ranks; r++) {
                        for (int i = 0; i < len; i++) {
                            x[off + i] += floats[r][i];
                        }
                    }
                    meet();
                }

                @Override
                public void gather(float[] part, int rows, int[] counts, float[] all) {
                    floats[rank] = Arrays.copyOf(part, rows * counts[rank]);
                    meet();
                    if (rank == 0) {
                        int total = Arrays.stream(counts).sum();
                        for (int r = 0, start = 0; r < ranks; start += counts[r], r++) {
                            for (int row = 0; row < rows; row++) {
                                System.arraycopy(floats[r], row * counts[r], all, row * total + start, counts[r]);
                            }
                        }
                    }
                    meet();
                }

                @Override
                public String[] allGather(String value) {
                    strings[rank] = value;
                    meet();
                    String[] all = strings.clone();
                    meet();
                    return all;
                }

                @Override
                public void created(Transformer model, int maxBatch, int maxSeqLen, int contextSize,
                                    CacheType keyType, CacheType valueType) {
                }

                @Override
                public void step(Transformer model, List<Transformer.Entry> entries, Runnable body) {
                    body.run();
                }

                @Override
                public void forked(Transformer model, Sequence source, Sequence copy) {
                }

                @Override
                public void reserved(Transformer model, Sequence sequence, int positions) {
                }

                @Override
                public void closed(Transformer model, Sequence sequence) {
                }
            };
        }
    }
}
