package dev.llama3j.convert;

import dev.llama3j.LlamaException;
import dev.llama3j.tensor.DType;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The {@code --type} of a written GGUF file: llama.cpp's {@code general.file_type} (llama_ftype) and the
 * type most weight matrices get ({@link TensorTypes} decides the exceptions).
 */
public enum GgufFileType {
    F32("f32", 0, DType.F32),
    F16("f16", 1, DType.F16),
    BF16("bf16", 32, DType.BF16),
    Q8_0("q8_0", 7, DType.Q8_0),
    Q4_0("q4_0", 2, DType.Q4_0),
    Q4_K_M("q4_k_m", 15, DType.Q4_K);

    /** the name on the command line */
    public final String cliName;
    /** llama.cpp's llama_ftype, written as {@code general.file_type} */
    public final int ftype;
    /** the type of the weight matrices that no rule treats specially */
    public final DType defaultType;

    GgufFileType(String cliName, int ftype, DType defaultType) {
        this.cliName = cliName;
        this.ftype = ftype;
        this.defaultType = defaultType;
    }

    /** Types quantized by llama-quantize's per-tensor rules (the others are written as llama.cpp's converter does). */
    boolean isQuantizeMix() {
        return this == Q4_0 || this == Q4_K_M;
    }

    public static GgufFileType parse(String name) {
        for (GgufFileType t : values()) {
            if (t.cliName.equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new LlamaException("unknown type '" + name + "' (expected one of " + names() + ")");
    }

    public static String names() {
        return Arrays.stream(values()).map(t -> t.cliName).collect(Collectors.joining(", "));
    }
}
