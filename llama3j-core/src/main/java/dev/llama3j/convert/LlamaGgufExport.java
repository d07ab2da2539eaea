package dev.llama3j.convert;

import dev.llama3j.LlamaException;
import dev.llama3j.format.gguf.GgufWriter;
import dev.llama3j.model.LayerWeights;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.ModelConfig;
import dev.llama3j.model.RopeScaling;
import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.Matrix;
import dev.llama3j.tensor.Parallel;
import dev.llama3j.tensor.quant.Quantizer;

/**
 * Lays out a Llama model as llama.cpp's converter writes it (architecture {@code llama}): the metadata keys
 * in its order, tensors named and ordered as in its files ({@code rope_freqs} first for Llama 3.1+ scaling,
 * {@code output}, {@code token_embd}, each block in the order of Hugging Face's sorted names, then
 * {@code output_norm}), q/k rows in Meta's order, 1-D tensors in F32, matrices in the types {@link TensorTypes}
 * picks. Matrices are read row by row ({@link Matrix#row}) and quantized on all cores while the file is
 * written, so nothing model-sized is held in memory.
 */
public final class LlamaGgufExport {
    /** Rows are quantized in batches of about this many bytes of output before they are written. */
    private static final long BATCH_BYTES = 16L << 20;
    private static final int QUANTIZATION_VERSION = 2;

    /**
     * @param name      {@code general.name}
     * @param tokenizer the tokenizer to embed, or null for {@code tokenizer.ggml.model = "none"}
     */
    public record Options(String name, GgufFileType fileType, GgufTokenizerSource tokenizer) {}

    private LlamaGgufExport() {}

    /** A writer holding the model's metadata and tensors; {@code weights} must stay open until it has written. */
    public static GgufWriter prepare(LlamaWeights weights, Options options) {
        ModelConfig c = weights.config();
        boolean tied = weights.output() == weights.tokenEmbeddings();
        if (options.tokenizer() != null && options.tokenizer().vocabSize() != c.vocabSize()) {
            throw new LlamaException("the tokenizer has " + options.tokenizer().vocabSize()
                    + " tokens but the model's vocabulary size is " + c.vocabSize());
        }
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "llama")
                .putString("general.type", "model")
                .putString("general.name", options.name())
                .putUInt32("llama.context_length", c.contextLength())
                .putUInt32("llama.embedding_length", c.dim())
                .putUInt32("llama.block_count", c.nLayers())
                .putUInt32("llama.feed_forward_length", c.ffnDim())
                .putUInt32("llama.attention.head_count", c.nHeads())
                .putUInt32("llama.attention.head_count_kv", c.nKvHeads())
                .putFloat32("llama.rope.freq_base", c.ropeTheta())
                .putFloat32("llama.attention.layer_norm_rms_epsilon", c.normEps())
                .putUInt32("general.file_type", options.fileType().ftype)
                .putUInt32("llama.vocab_size", c.vocabSize())
                .putUInt32("llama.rope.dimension_count", c.headDim());
        if (options.tokenizer() != null) {
            options.tokenizer().putMetadata(w);
        } else {
            w.putString("tokenizer.ggml.model", "none");
        }
        w.putUInt32("general.quantization_version", QUANTIZATION_VERSION);

        float[] ropeFactors = weights.ropeFreqDivisors() != null ? weights.ropeFreqDivisors()
                : c.ropeScaling() != null ? ropeFactors(c.headDim(), c.ropeTheta(), c.ropeScaling()) : null;
        if (ropeFactors != null) {
            vector(w, "rope_freqs.weight", ropeFactors);
        }
        TensorTypes types = new TensorTypes(options.fileType(), c, tied);
        if (!tied) {
            matrix(w, "output.weight", weights.output(), types.choose(TensorTypes.Role.OUTPUT, 0, c.dim()));
        }
        matrix(w, "token_embd.weight", weights.tokenEmbeddings(),
                types.choose(TensorTypes.Role.TOKEN_EMBEDDINGS, 0, c.dim()));
        for (int i = 0; i < c.nLayers(); i++) {
            LayerWeights l = weights.layers().get(i);
            String p = "blk." + i + ".";
            vector(w, p + "attn_norm.weight", l.attentionNorm());
            matrix(w, p + "ffn_down.weight", l.w2(), types.choose(TensorTypes.Role.FFN_DOWN, i, c.ffnDim()));
            matrix(w, p + "ffn_gate.weight", l.w1(), types.choose(TensorTypes.Role.OTHER, i, c.dim()));
            matrix(w, p + "ffn_up.weight", l.w3(), types.choose(TensorTypes.Role.OTHER, i, c.dim()));
            vector(w, p + "ffn_norm.weight", l.ffnNorm());
            matrix(w, p + "attn_k.weight", l.wk(), types.choose(TensorTypes.Role.OTHER, i, c.dim()));
            matrix(w, p + "attn_output.weight", l.wo(), types.choose(TensorTypes.Role.OTHER, i, c.dim()));
            matrix(w, p + "attn_q.weight", l.wq(), types.choose(TensorTypes.Role.OTHER, i, c.dim()));
            matrix(w, p + "attn_v.weight", l.wv(), types.choose(TensorTypes.Role.ATTN_V, i, c.dim()));
        }
        vector(w, "output_norm.weight", weights.norm());
        return w;
    }

    /**
     * The {@code rope_freqs} divisors llama.cpp's converter computes for {@code rope_type: llama3} scaling
     * (1 for high frequencies, {@code factor} for low ones, a smooth blend between), in float32 as PyTorch
     * evaluates that code ({@code scalar / tensor} is {@code reciprocal(tensor) * scalar}).
     */
    public static float[] ropeFactors(int headDim, float theta, RopeScaling s) {
        float lowFreqWavelen = (float) ((double) s.originalMaxPositions() / s.lowFreqFactor());
        float highFreqWavelen = (float) ((double) s.originalMaxPositions() / s.highFreqFactor());
        float[] factors = new float[headDim / 2];
        for (int i = 0; i < factors.length; i++) {
            float exponent = (float) (2 * i) / (float) headDim;
            float freq = 1.0f / (float) Math.pow(theta, exponent);
            float wavelen = (1.0f / freq) * (float) (2 * Math.PI);
            if (wavelen < highFreqWavelen) {
                factors[i] = 1;
            } else if (wavelen > lowFreqWavelen) {
                factors[i] = s.factor();
            } else {
                float smooth = ((1.0f / wavelen) * s.originalMaxPositions() - s.lowFreqFactor())
                        / (s.highFreqFactor() - s.lowFreqFactor());
                factors[i] = 1.0f / ((1 - smooth) / s.factor() + smooth);
            }
        }
        return factors;
    }

    private static void vector(GgufWriter w, String name, float[] values) {
        float[] copy = values.clone();
        w.addTensor(name, DType.F32, new long[] {copy.length}, sink -> {
            byte[] bytes = new byte[4 * copy.length];
            Quantizer.of(DType.F32).quantize(copy, 0, copy.length, bytes, 0);
            sink.write(bytes, 0, bytes.length);
        });
    }

    private static void matrix(GgufWriter w, String name, Matrix m, DType type) {
        w.addTensor(name, type, new long[] {m.rows(), m.cols()}, sink -> writeRows(m, type, sink));
    }

    /** Quantizes batches of rows on all cores, each batch written in row order before the next begins. */
    private static void writeRows(Matrix m, DType type, GgufWriter.Sink sink) throws java.io.IOException {
        int rows = m.rows();
        int cols = m.cols();
        int rowBytes = Math.toIntExact(type.bytesFor(cols));
        int batch = (int) Math.max(1, Math.min(rows, BATCH_BYTES / Math.max(rowBytes, 4L * cols)));
        byte[] out = new byte[Math.multiplyExact(batch, rowBytes)];
        for (int start = 0; start < rows; start += batch) {
            int first = start;
            int n = Math.min(batch, rows - start);
            Parallel.forRange(n, (s, e) -> {
                float[] row = new float[cols];
                Quantizer q = Quantizer.of(type);
                for (int r = s; r < e; r++) {
                    m.row(first + r, row, 0);
                    q.quantize(row, 0, cols, out, r * rowBytes);
                }
            });
            sink.write(out, 0, n * rowBytes);
        }
    }
}
