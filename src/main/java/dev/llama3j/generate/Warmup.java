package dev.llama3j.generate;

import dev.llama3j.model.LayerWeights;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.tensor.DenseMatrix;
import dev.llama3j.tensor.Matrix;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a model's matrix kernels on a few of its own rows in a background thread while the tokenizer is built, so that
 * the JIT has compiled them (C2) before the first prompt arrives.
 *
 * <p>Why: the kernels are Vector API code, which is fast only once C2 has compiled it (and turned each vector
 * operation into an instruction); interpreted or C1-compiled, every vector operation allocates and goes through a
 * Java fallback, a hundred times slower. Without this, a short prompt's first forward pass runs mostly in that slow
 * mode and its output projection waits for C2 again. The warm-up goes through the same {@link Matrix} objects and
 * methods as the forward pass (tiled products for a prompt, matrix-vector products for the logits and the decode
 * steps), so the profiles the JIT collects, and the code it compiles, are the forward pass's own. It reads the
 * weights in place and writes only its own buffers: results are unchanged, and the pages it touches are ones the
 * forward pass reads anyway.
 */
final class Warmup implements AutoCloseable {
    /** tokens per warm-up product: one full tile of tokens, as in a prompt */
    private static final int TOKENS = 16;
    /**
     * rows per warm-up product: two row tiles. Small on purpose: until C2 has compiled them the kernels are slow
     * enough that a larger product would hold up the next kernel's turn by seconds.
     */
    private static final int ROWS = 8;
    /** columns of a warm-up product: one depth block of the tiled product, a whole number of every block size */
    private static final int COLS = 256;
    /** an upper bound on rounds when nobody stops the warm-up (a round takes tens of microseconds compiled) */
    private static final int MAX_ROUNDS = 20_000;

    /** {@code -Dllama3j.warmup=false} turns it off (to measure what it saves) */
    static final boolean ENABLED = !"false".equals(System.getProperty("llama3j.warmup"));

    private final Thread thread;
    private volatile boolean stopped;

    private Warmup(LlamaWeights weights) {
        List<Matrix> prompt = distinct(layerMatrices(weights));
        List<Matrix> single = new ArrayList<>(distinct(List.of(weights.output())));
        single.addAll(prompt);
        thread = Thread.ofPlatform().daemon().name("llama3j-warmup").unstarted(() -> {
            try {
                run(prompt, single);
            } catch (IllegalStateException e) {
                // the model was closed under a round that was still running: nothing left to warm up
            }
        });
    }

    /** Starts warming up the kernels of {@code weights}; {@link #close} stops it. */
    static Warmup start(LlamaWeights weights) {
        Warmup w = new Warmup(weights);
        w.thread.start();
        return w;
    }

    /**
     * Stops the warm-up after its current round, without waiting: until the kernels are compiled a round can take a
     * second, which the first forward pass should not wait for.
     */
    @Override
    public void close() {
        stopped = true;
    }

    private void run(List<Matrix> prompt, List<Matrix> single) {
        int cols = 0;
        int rows = ROWS;
        for (Matrix m : single) {
            cols = Math.max(cols, m.cols());
        }
        for (Matrix m : prompt) {
            rows = Math.max(rows, m.rows());   // a product's output is token-major: a token's row is the whole matrix
        }
        float[] x = new float[TOKENS * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = ((i * 7919) % 2001 - 1000) / 1000f;   // small values of both signs, like normalized activations
        }
        float[] out = new float[TOKENS * rows];
        for (int round = 0; round < MAX_ROUNDS && !stopped; round++) {
            for (Matrix m : prompt) {
                m.matmul(x, TOKENS, out, 0, Math.min(ROWS, m.rows()));
            }
            for (Matrix m : single) {
                m.matvec(x, 0, out, 0, 0, Math.min(2 * ROWS, m.rows()));
            }
        }
    }

    private static List<Matrix> layerMatrices(LlamaWeights weights) {
        List<Matrix> ms = new ArrayList<>();
        for (LayerWeights l : weights.layers()) {
            ms.addAll(List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3()));
        }
        return ms;
    }

    /**
     * One matrix per (class, element type): the kernels are per type, the code paths per class. A dense matrix is
     * narrowed to a view of {@link #COLS} columns over its first bytes (valid blocks of its type, only the row
     * boundaries differ): until compiled, each depth block of the tiled product costs tens of milliseconds.
     */
    private static List<Matrix> distinct(List<Matrix> ms) {
        Map<String, Matrix> byKind = new LinkedHashMap<>();
        for (Matrix m : ms) {
            byKind.computeIfAbsent(m.getClass().getName() + " " + m.type(), k -> narrow(m));
        }
        return List.copyOf(byKind.values());
    }

    private static Matrix narrow(Matrix m) {
        if (!(m instanceof DenseMatrix d) || d.cols() <= COLS || d.cols() % COLS != 0) {
            return m;
        }
        long rowBytes = d.type().bytesFor(COLS);
        int rows = (int) Math.min(d.rows(), 2L * ROWS);
        return new DenseMatrix(d.name(), d.type(), d.data().asSlice(0, rowBytes * rows), rows, COLS);
    }
}
