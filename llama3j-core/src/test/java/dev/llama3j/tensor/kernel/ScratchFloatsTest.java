package dev.llama3j.tensor.kernel;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class ScratchFloatsTest {

    @Test
    void aThreadGetsOneBufferThatGrowsOnlyWhenAskedForMore() {
        ScratchFloats scratch = new ScratchFloats();
        float[] first = scratch.get(10);
        assertThat(first).hasSizeGreaterThanOrEqualTo(10);
        assertThat(scratch.get(4)).isSameAs(first);
        float[] bigger = scratch.get(100);
        assertThat(bigger).hasSizeGreaterThanOrEqualTo(100).isNotSameAs(first);
        assertThat(scratch.get(10)).isSameAs(bigger);
    }

    @Test
    void threadsDoNotShareBuffers() throws InterruptedException {
        ScratchFloats scratch = new ScratchFloats();
        float[] mine = scratch.get(8);
        AtomicReference<float[]> theirs = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> theirs.set(scratch.get(8)));
        t.join();
        assertThat(theirs.get()).isNotNull().isNotSameAs(mine);
    }
}
