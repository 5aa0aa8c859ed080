package dev.strix.layers;

/**
 * Whether a forward pass is part of training. Only some layers care: batch normalisation uses the
 * batch's statistics (and updates its running ones) in training and the running statistics in
 * evaluation.
 */
public enum Mode {
    TRAINING,
    EVALUATION
}
