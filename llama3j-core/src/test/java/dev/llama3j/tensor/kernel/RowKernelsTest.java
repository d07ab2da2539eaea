package dev.llama3j.tensor.kernel;

import dev.llama3j.tensor.DType;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

class RowKernelsTest {

    @Test
    void everyTypeHasItsOwnKernelAndNoOtherIdHasOne() {
        for (DType t : DType.values()) {
            assertThat(t.kernel()).as("%s", t).isNotNull().isSameAs(RowKernels.forGgmlType(t.ggmlId));
        }
        assertThat(Arrays.stream(DType.values()).map(DType::kernel).distinct()).hasSize(DType.values().length);
        for (int id = -1; id < 64; id++) {
            if (DType.ofGgmlId(id) == null) {
                assertThat(RowKernels.forGgmlType(id)).as("ggml id %d", id).isNull();
            }
        }
    }
}
