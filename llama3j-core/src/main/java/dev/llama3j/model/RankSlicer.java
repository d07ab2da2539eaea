package dev.llama3j.model;

import dev.llama3j.tensor.Matrix;
import dev.llama3j.tensor.Numerics;
import dev.llama3j.tensor.Tensor;
import dev.llama3j.tensor.TensorSlices;

import java.util.List;

/**
 * How the loaders cut a model's matrices for one rank of a split ({@link ModelSplit}): by rows the query heads' (wq),
 * the KV heads' (wk, wv), the FFN's hidden units' (w1, w3) and the vocabulary's (embeddings, output); by columns wo
 * and w2. A matrix in parts (Meta's shards) is cut across them.
 */
public record RankSlicer(ModelSplit split) {

    private int hd() {
        return split.config().headDim();
    }

    public Tensor queryRows(List<Tensor> parts) {
        return TensorSlices.rows(parts, split.headFrom() * hd(), split.headTo() * hd());
    }

    public Tensor kvRows(List<Tensor> parts) {
        return TensorSlices.rows(parts, split.kvHeadFrom() * hd(), split.kvHeadTo() * hd());
    }

    public Tensor ffnRows(List<Tensor> parts) {
        return TensorSlices.rows(parts, split.ffnFrom(), split.ffnTo());
    }

    public Tensor vocabRows(List<Tensor> parts) {
        return TensorSlices.rows(parts, split.vocabFrom(), split.vocabTo());
    }

    /** wo: the columns of this rank's query heads. */
    public Matrix queryColumns(List<Tensor> parts, Numerics numerics) {
        return TensorSlices.columns(parts, split.headFrom() * hd(), split.headTo() * hd()).asMatrix(numerics);
    }

    /** w2: the columns of this rank's hidden units. */
    public Matrix ffnColumns(List<Tensor> parts, Numerics numerics) {
        return TensorSlices.columns(parts, split.ffnFrom(), split.ffnTo()).asMatrix(numerics);
    }

    /** The query heads this rank computes. */
    public int heads() {
        return split.headTo() - split.headFrom();
    }

    /** The KV heads this rank computes. */
    public int kvHeads() {
        return split.kvHeadTo() - split.kvHeadFrom();
    }
}
