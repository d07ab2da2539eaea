package dev.llama3j.convert;

import dev.llama3j.LlamaException;
import dev.llama3j.model.ModelConfig;
import dev.llama3j.tensor.DType;

/**
 * The ggml type of each weight matrix for a file type. Float and Q8_0 files use one type throughout, as
 * llama.cpp's converter writes them (Q8_0 falls back to F16 for rows that are not whole blocks). Q4_0 and
 * Q4_K_M follow llama-quantize's {@code llama_tensor_get_type} for the llama architecture:
 * <ul>
 *   <li>the output projection (or the tied embedding that serves as one) gets Q6_K, or Q8_0 when its rows
 *       are not whole blocks of the file's type;</li>
 *   <li>Q4_K_M: attn_v and ffn_down get Q6_K in the layers {@link #useMoreBits} picks; in a 70B-class
 *       model (80 layers, grouped-query attention) a Q4_K attn_v becomes Q5_K;</li>
 *   <li>a type whose block does not divide the row falls back: Q4_K to Q5_0, Q6_K to Q8_0, and to F16 if
 *       even that does not fit.</li>
 * </ul>
 */
public final class TensorTypes {
    /** The roles the rules tell apart. */
    public enum Role { OUTPUT, TOKEN_EMBEDDINGS, ATTN_V, FFN_DOWN, OTHER }

    private final GgufFileType fileType;
    private final int nLayers;
    private final boolean tiedEmbeddings;
    private final boolean class70B;

    public TensorTypes(GgufFileType fileType, ModelConfig config, boolean tiedEmbeddings) {
        this.fileType = fileType;
        this.nLayers = config.nLayers();
        this.tiedEmbeddings = tiedEmbeddings;
        // llama.cpp's LLM_TYPE_70B: 80 layers and fewer kv heads than heads (65B has as many)
        this.class70B = config.nLayers() == 80 && config.nKvHeads() != config.nHeads();
    }

    /** The type of a matrix with rows of {@code cols} values; {@code layer} is ignored outside layers. */
    public DType choose(Role role, int layer, int cols) {
        DType type = fileType.defaultType;
        if (!fileType.isQuantizeMix()) {
            return cols % type.blockSize == 0 ? type : DType.F16;
        }
        if (role == Role.OUTPUT || (tiedEmbeddings && role == Role.TOKEN_EMBEDDINGS)) {
            type = cols % type.blockSize != 0 ? DType.Q8_0 : DType.Q6_K;
        } else if (role == Role.ATTN_V) {
            if (fileType == GgufFileType.Q4_K_M && useMoreBits(layer, nLayers)) {
                type = DType.Q6_K;
            }
            if (class70B && type == DType.Q4_K) {
                type = DType.Q5_K;
            }
        } else if (role == Role.FFN_DOWN && fileType == GgufFileType.Q4_K_M && useMoreBits(layer, nLayers)) {
            type = DType.Q6_K;
        }
        return fallback(type, cols);
    }

    /** llama.cpp's {@code use_more_bits}: the first and last eighth of the layers and every third between. */
    static boolean useMoreBits(int layer, int nLayers) {
        return layer < nLayers / 8 || layer >= 7 * nLayers / 8 || (layer - nLayers / 8) % 3 == 2;
    }

    private static DType fallback(DType type, int cols) {
        if (cols % type.blockSize == 0) {
            return type;
        }
        DType next = switch (type) {
            case Q4_K -> DType.Q5_0;
            case Q6_K -> DType.Q8_0;
            default -> throw new LlamaException("rows of " + cols + " values cannot be written as " + type
                    + " (not a multiple of its block size " + type.blockSize + ")");
        };
        return cols % next.blockSize == 0 ? next : DType.F16;
    }
}
