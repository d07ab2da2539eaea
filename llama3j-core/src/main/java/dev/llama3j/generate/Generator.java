package dev.llama3j.generate;

import dev.llama3j.LlamaException;
import dev.llama3j.model.Sequence;
import dev.llama3j.model.Transformer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Meta's {@code Llama.generate} on token ids: the rows of a batch advance in lock step; the first forward covers the
 * shortest prompt, then one position per step for all rows, with prompt tokens overriding predictions
 * (teacher forcing) until each row's prompt is used up. A row stops at its first generated stop token; results are
 * cut at max_gen_len and at the first stop token.
 */
public final class Generator {
    private final Transformer model;
    private final int[] stopTokens;
    private final int vocab;

    public Generator(Transformer model, int[] stopTokens) {
        this.model = model;
        this.stopTokens = stopTokens.clone();
        this.vocab = model.config().vocabSize();
    }

    /**
     * @param tokens   per row, the tokens returned (prompt included when echo)
     * @param logprobs per row, the log-probability of each returned token (0 for the first prompt token), or null
     */
    public record Result(List<int[]> tokens, List<float[]> logprobs, Stats stats) {}

    /**
     * Where the time went: the first forward (all rows' shared prompt prefix as one batch) and the single-position
     * steps after it. {@code generatedTokens} counts the tokens sampled after each row's prompt (a stop token
     * included), {@code stepTokens} those of them sampled by the steps: prompt positions that the steps fill for
     * rows with longer prompts are not generated tokens.
     */
    public record Stats(int prefillTokens, long prefillNanos, int steps, int generatedTokens, int stepTokens,
                        long stepNanos, int reusedTokens) {
        public Stats(int prefillTokens, long prefillNanos, int steps, int generatedTokens, int stepTokens,
                     long stepNanos) {
            this(prefillTokens, prefillNanos, steps, generatedTokens, stepTokens, stepNanos, 0);
        }

        public double prefillTokensPerSecond() {
            return prefillNanos == 0 ? 0 : prefillTokens * 1e9 / prefillNanos;
        }

        public double stepTokensPerSecond() {
            return stepNanos == 0 ? 0 : stepTokens * 1e9 / stepNanos;
        }
    }

    public Result generate(List<int[]> prompts, int maxGenLen, float temperature, float topP, boolean logprobs,
                           boolean echo, Sampler sampler, TokenListener listener) {
        return generate(prompts, maxGenLen, temperature, topP, logprobs, echo, sampler, listener, null);
    }

    /**
     * {@link #generate(List, int, float, float, boolean, boolean, Sampler, TokenListener)} with each row's answer
     * sampled among the tokens a constraint of its own allows ({@code constraints} makes one per row; null: none).
     */
    public Result generate(List<int[]> prompts, int maxGenLen, float temperature, float topP, boolean logprobs,
                           boolean echo, Sampler sampler, TokenListener listener,
                           Supplier<TokenConstraint> constraints) {
        int bsz = prompts.size();
        int maxBatch = model.maxBatch();
        int maxSeqLen = model.maxSeqLen();
        if (bsz == 0) {
            throw new LlamaException("no prompts to generate from");
        }
        if (bsz > maxBatch) {
            throw new LlamaException(bsz + " prompts, but max_batch_size is " + maxBatch);
        }
        if (maxGenLen < 0) {
            throw new LlamaException("max_gen_len must be an integer >= 0, got " + maxGenLen);
        }
        int minPrompt = Integer.MAX_VALUE;
        int maxPrompt = 0;
        for (int i = 0; i < bsz; i++) {
            int len = prompts.get(i).length;
            if (len == 0) {
                throw new LlamaException("prompt " + (i + 1) + " is empty");
            }
            if (len > maxSeqLen) {
                throw new LlamaException("prompt " + (i + 1) + " has " + len + " tokens, more than max_seq_len "
                        + maxSeqLen);
            }
            minPrompt = Math.min(minPrompt, len);
            maxPrompt = Math.max(maxPrompt, len);
        }
        int totalLen = (int) Math.min(maxSeqLen, (long) maxGenLen + maxPrompt);

        int[][] tokens = new int[bsz][totalLen];
        boolean[][] isPrompt = new boolean[bsz][totalLen];
        for (int i = 0; i < bsz; i++) {
            int[] p = prompts.get(i);
            System.arraycopy(p, 0, tokens[i], 0, p.length);
            Arrays.fill(isPrompt[i], 0, p.length, true);
        }
        float[][] tokenLogprobs = logprobs ? new float[bsz][totalLen] : null;
        TokenConstraint[] rowConstraints = new TokenConstraint[bsz];
        for (int i = 0; constraints != null && i < bsz; i++) {
            rowConstraints[i] = constraints.get();
        }

        if (minPrompt == totalLen && logprobs) {
            // Nothing to generate (max_gen_len 0 or prompts filling max_seq_len): logprobs of the prompt only.
            // generation.py scores logits[j] against tokens[j] here, unlike its main loop; we keep the main loop's
            // (correct) pairing of logits[j] with tokens[j + 1] so logprobs mean the same everywhere.
            float[][] logits = model.forward(slice(tokens, 0, totalLen), 0, true);
            recordLogprobs(logits, tokens, tokenLogprobs, 0, totalLen - 1, totalLen);
        }

        boolean[] eosReached = new boolean[bsz];
        int prevPos = 0;
        long prefillNanos = 0;
        long stepNanos = 0;
        int steps = 0;
        int generated = 0;
        int stepGenerated = 0;
        for (int curPos = minPrompt; curPos < totalLen; curPos++) {
            long t0 = System.nanoTime();
            float[][] logits = model.forward(slice(tokens, prevPos, curPos), prevPos, logprobs);
            if (prevPos == 0) {
                prefillNanos = System.nanoTime() - t0;
            } else {
                stepNanos += System.nanoTime() - t0;
                steps++;
            }
            int width = logprobs ? curPos - prevPos : 1;
            for (int i = 0; i < bsz; i++) {
                requireFinite(logits[i], (width - 1) * vocab, i, curPos - 1);
                TokenConstraint c = isPrompt[i][curPos] || eosReached[i] ? null : rowConstraints[i];
                if (c != null) {
                    c.restrict(logits[i], (width - 1) * vocab, vocab);
                }
                int next = sampler.sample(logits[i], (width - 1) * vocab, vocab, temperature, topP);
                if (isPrompt[i][curPos]) {
                    next = tokens[i][curPos];
                } else if (c != null && !isStop(next)) {
                    c.accept(next);
                }
                tokens[i][curPos] = next;
            }
            if (logprobs) {
                recordLogprobs(logits, tokens, tokenLogprobs, prevPos, curPos, width);
            }
            boolean all = true;
            for (int i = 0; i < bsz; i++) {
                if (!isPrompt[i][curPos] && !eosReached[i]) {
                    int next = tokens[i][curPos];
                    if (curPos < prompts.get(i).length + maxGenLen) {
                        generated++;
                        stepGenerated += prevPos == 0 ? 0 : 1;
                    }
                    if (isStop(next)) {
                        eosReached[i] = true;
                    } else if (curPos < prompts.get(i).length + maxGenLen) {
                        listener.onToken(i, next);
                    }
                }
                all &= eosReached[i];
            }
            prevPos = curPos;
            if (all) {
                break;
            }
        }

        List<int[]> outTokens = new ArrayList<>(bsz);
        List<float[]> outLogprobs = logprobs ? new ArrayList<>(bsz) : null;
        for (int i = 0; i < bsz; i++) {
            int plen = prompts.get(i).length;
            int start = echo ? 0 : plen;
            int end = Math.min(totalLen, plen + maxGenLen);
            int cut = end;
            for (int j = start; j < end; j++) {
                if (isStop(tokens[i][j])) {
                    cut = j;
                    break;
                }
            }
            outTokens.add(Arrays.copyOfRange(tokens[i], start, Math.max(start, cut)));
            if (logprobs) {
                outLogprobs.add(Arrays.copyOfRange(tokenLogprobs[i], start, Math.max(start, cut)));
            }
        }
        Stats stats = new Stats(prefillNanos > 0 ? bsz * minPrompt : 0, prefillNanos, steps, generated, stepGenerated,
                stepNanos);
        return new Result(outTokens, outLogprobs, stats);
    }

    /**
     * One sequence's answer to {@code prompt}, on a sequence that may already hold the start of it (a chat's earlier
     * turns): the tokens it holds in common with the prompt are kept and only the rest is processed (llama-server's
     * cache_prompt; {@link Stats#reusedTokens}). The prompt is read in the {@link Engine}'s chunks, so both give the
     * same answer; sampling as {@link #generate(List, int, float, float, boolean, boolean, Sampler, TokenListener)}
     * does for one row, which gives the same tokens on an empty sequence and a prompt of one chunk. After it the
     * sequence holds the prompt and the answer, all but its last token (the one no step has read yet).
     *
     * @return the answer's tokens (cut at the first stop token) and with logprobs their log-probabilities
     */
    public Result generate(Sequence seq, int[] prompt, int maxGenLen, float temperature, float topP, boolean logprobs,
                           Sampler sampler, TokenListener listener) {
        return generate(seq, prompt, maxGenLen, temperature, topP, logprobs, sampler, listener, null);
    }

    /** {@link #generate(Sequence, int[], int, float, float, boolean, Sampler, TokenListener)} under a constraint. */
    public Result generate(Sequence seq, int[] prompt, int maxGenLen, float temperature, float topP, boolean logprobs,
                           Sampler sampler, TokenListener listener, TokenConstraint constraint) {
        int maxSeqLen = model.maxSeqLen();
        if (prompt.length == 0) {
            throw new LlamaException("the prompt is empty");
        }
        if (prompt.length > maxSeqLen) {
            throw new LlamaException("the prompt has " + prompt.length + " tokens, more than max_seq_len " + maxSeqLen);
        }
        if (maxGenLen < 0) {
            throw new LlamaException("max_gen_len must be an integer >= 0, got " + maxGenLen);
        }
        // at least the prompt's last two tokens are read again, as the Engine reads them
        int reused = Engine.reusable(seq.commonPrefix(prompt), prompt.length);
        seq.truncate(reused);
        int totalLen = (int) Math.min(maxSeqLen, (long) prompt.length + maxGenLen);
        int[] answer = new int[totalLen - prompt.length];
        float[] answerLogprobs = new float[answer.length];
        int kept = 0;
        long t0 = System.nanoTime();
        // in the chunks the Engine reads it in, so that both give the same answer
        float[] logits = null;
        int last = 0;
        for (int from = reused; from < prompt.length; ) {
            int[] chunk = Arrays.copyOfRange(prompt, from, from + Engine.chunkLength(prompt.length - from));
            from += chunk.length;
            logits = model.forward(List.of(new Transformer.Entry(seq, chunk, logprobs)))[0];
            last = chunk.length;
        }
        int off = logprobs ? (last - 1) * vocab : 0;
        long prefillNanos = System.nanoTime() - t0;
        long stepNanos = 0;
        int steps = 0;
        int generated = 0;
        for (int pos = prompt.length; pos < totalLen; pos++) {
            requireFinite(logits, off, 0, pos - 1);
            if (constraint != null) {
                constraint.restrict(logits, off, vocab);
            }
            int next = sampler.sample(logits, off, vocab, temperature, topP);
            generated++;
            if (isStop(next)) {
                break;
            }
            if (constraint != null) {
                constraint.accept(next);
            }
            if (logprobs) {
                answerLogprobs[kept] = Sampler.logProb(logits, off, vocab, next);
            }
            answer[kept++] = next;
            listener.onToken(0, next);
            if (pos + 1 < totalLen) {
                long t1 = System.nanoTime();
                logits = model.forward(List.of(new Transformer.Entry(seq, new int[] {next}, logprobs)))[0];
                off = 0;
                stepNanos += System.nanoTime() - t1;
                steps++;
            }
        }
        Stats stats = new Stats(prompt.length - reused, prefillNanos, steps, generated, Math.max(0, generated - 1), stepNanos,
                reused);
        return new Result(List.of(Arrays.copyOf(answer, kept)),
                logprobs ? List.of(Arrays.copyOf(answerLogprobs, kept)) : null, stats);
    }

    /** logprob of tokens[prevPos+1 .. curPos] from the logits of positions prevPos .. curPos-1; pad targets stay 0. */
    private void recordLogprobs(float[][] logits, int[][] tokens, float[][] out, int prevPos, int curPos, int width) {
        for (int i = 0; i < tokens.length; i++) {
            for (int j = 0; j < width; j++) {
                int target = prevPos + 1 + j;
                if (target < tokens[i].length && target <= curPos) {
                    out[i][target] = Sampler.logProb(logits[i], j * vocab, vocab, tokens[i][target]);
                    if (!Float.isFinite(out[i][target])) {
                        requireFinite(logits[i], j * vocab, i, prevPos + j);
                    }
                }
            }
        }
    }

    /**
     * NaN or infinite logits (weights or activations that are not finite numbers) would sample garbage or a fixed
     * token with NaN logprobs; Meta's code fails in torch.multinomial. One pass over the row, cheap next to the
     * forward pass that made it.
     */
    private void requireFinite(float[] logits, int off, int row, int position) {
        int bad = Sampler.firstNonFinite(logits, off, vocab);
        if (bad >= 0) {
            throw new LlamaException("the logits at position " + position + " of prompt " + (row + 1) + " are not"
                    + " finite (token " + bad + ": " + logits[off + bad] + "): the model's weights or activations hold"
                    + " NaN or infinity (a damaged or wrongly converted model file?)");
        }
    }

    private boolean isStop(int token) {
        for (int s : stopTokens) {
            if (s == token) {
                return true;
            }
        }
        return false;
    }

    private static int[][] slice(int[][] tokens, int from, int to) {
        int[][] s = new int[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            s[i] = Arrays.copyOfRange(tokens[i], from, to);
        }
        return s;
    }
}
