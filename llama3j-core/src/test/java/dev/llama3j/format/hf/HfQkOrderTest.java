package dev.llama3j.format.hf;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HfQkOrderTest {

    @Test
    void handCheckedMapForTwoHeadsOfFour() {
        // FORMAT.md: HF row j of a head = Meta row 2j (j < hd/2) or 2(j-hd/2)+1. With hd = 4:
        // HF 0 = Meta 0, HF 1 = Meta 2, HF 2 = Meta 1, HF 3 = Meta 3; so Meta 0,1,2,3 are HF 0,2,1,3.
        assertThat(HfQkOrder.metaToHfRows(2, 4)).containsExactly(0, 2, 1, 3, 4, 6, 5, 7);
        // hd = 8: Meta 0..7 are HF 0,4,1,5,2,6,3,7
        assertThat(HfQkOrder.metaToHfRows(1, 8)).containsExactly(0, 4, 1, 5, 2, 6, 3, 7);
    }

    @Test
    void invertsTheConvertersForwardMap() {
        int heads = 3;
        int hd = 16;
        int[] metaToHf = HfQkOrder.metaToHfRows(heads, hd);
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < hd; j++) {
                int meta = j < hd / 2 ? 2 * j : 2 * (j - hd / 2) + 1; // FORMAT.md, forward direction
                assertThat(metaToHf[h * hd + meta]).isEqualTo(h * hd + j);
            }
        }
    }
}
