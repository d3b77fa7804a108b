package org.sonarllm.onnx.runtime;

import org.sonarllm.InvalidInputException;

/**
 * How the ONNX Runtime sessions of a model ({@code SonarLlm}) run: execution provider, threads, batch
 * sizes, hash verification on load. Immutable.
 *
 * <pre>{@code
 * RuntimeOptions o = RuntimeOptions.builder().provider(RuntimeOptions.Provider.AUTO)
 *         .intraOpThreads(4).encoderBatchSize(64).build();
 * try (SonarLlm llm = SonarLlm.load(bundle, o)) { ... }
 * }</pre>
 *
 * @param provider execution provider: CPU (default), CUDA (falls back to CPU with a log line when
 *     CUDA cannot start) or AUTO (CUDA when it starts, else CPU)
 * @param cudaDevice CUDA device id, 0 to {@value #MAX_CUDA_DEVICE}
 * @param intraOpThreads threads inside one op, 0 to {@value #MAX_THREADS}; 0 = automatic: one thread for models
 *     narrower than {@value #SMALL_MODEL_WIDTH} (their ops are too small to split: measured 1.8x faster
 *     generation with a d-128 model, 1.4x with the d-256 default model), else ONNX Runtime's choice (one per core)
 * @param interOpThreads threads across independent ops, 0 to {@value #MAX_THREADS}; 0 lets ONNX Runtime choose
 * @param encoderBatchSize sentences per encoder call (after length sorting), 1 to {@value #MAX_BATCH}
 * @param decoderBatchSize embeddings decoded together per decoder run (beam rows are this times the beam), 1
 *     to {@value #MAX_BATCH}
 * @param verifyHashes whether loading checks every bundle file's sha256 (a file verified before and unchanged
 *     since is not hashed again)
 * @param lazySessions whether each component's ONNX Runtime sessions are created when it is first used
 *     (its graph checked then) instead of at load, where all are created side by side
 */
public record RuntimeOptions(Provider provider, int cudaDevice, int intraOpThreads, int interOpThreads,
        int encoderBatchSize, int decoderBatchSize, boolean verifyHashes, boolean lazySessions) {
    /** Execution providers. */
    public enum Provider {
        /** The CPU provider. */
        CPU,
        /** CUDA, falling back to CPU (logged) if it cannot start. */
        CUDA,
        /** CUDA if it starts, else CPU. */
        AUTO
    }

    /** Largest accepted thread count (a session's thread pool is created eagerly). */
    public static final int MAX_THREADS = 256;
    /** Largest accepted batch size. */
    public static final int MAX_BATCH = 4096;
    /**
     * Model width (d) below which automatic intra-op threads means one thread. Measured on 2 cores
     * (docs/onnx-runtime.md): at d 128 one thread generated 1.8x faster than two, at d 256 1.4x faster; at
     * d 512 two threads encoded 1.85x and decoded 1.1-1.6x faster than one.
     */
    public static final int SMALL_MODEL_WIDTH = 512;
    /** Largest accepted CUDA device id. */
    public static final int MAX_CUDA_DEVICE = 63;

    /** Validates every count against its documented range. */
    public RuntimeOptions {
        if (provider == null) {
            throw new InvalidInputException("provider must not be null");
        }
        if (cudaDevice < 0 || cudaDevice > MAX_CUDA_DEVICE) {
            throw new InvalidInputException("expected a cuda device in 0.." + MAX_CUDA_DEVICE + ", found " + cudaDevice);
        }
        if (intraOpThreads < 0 || intraOpThreads > MAX_THREADS || interOpThreads < 0 || interOpThreads > MAX_THREADS) {
            throw new InvalidInputException("expected thread counts in 0.." + MAX_THREADS + " (0 = automatic), found "
                    + intraOpThreads + " and " + interOpThreads);
        }
        if (encoderBatchSize < 1 || encoderBatchSize > MAX_BATCH) {
            throw new InvalidInputException("expected an encoder batch size in 1.." + MAX_BATCH + ", found "
                    + encoderBatchSize);
        }
        if (decoderBatchSize < 1 || decoderBatchSize > MAX_BATCH) {
            throw new InvalidInputException("expected a decoder batch size in 1.." + MAX_BATCH + ", found "
                    + decoderBatchSize);
        }
    }

    /** @return CPU, runtime-chosen threads, encoder batch 32, decoder batch 16, hashes verified, sessions at load */
    public static RuntimeOptions defaults() {
        return builder().build();
    }

    /**
     * @param modelWidth the model's d
     * @return these options with automatic intra-op threads ({@code 0}) resolved for a model of that width:
     *     1 below {@value #SMALL_MODEL_WIDTH}, else still 0 (ONNX Runtime's choice)
     */
    public RuntimeOptions resolvedFor(int modelWidth) {
        if (intraOpThreads != 0 || modelWidth >= SMALL_MODEL_WIDTH) {
            return this;
        }
        return new RuntimeOptions(provider, cudaDevice, 1, interOpThreads, encoderBatchSize, decoderBatchSize,
                verifyHashes, lazySessions);
    }

    /** @return a builder starting from the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder starting from these options */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.provider = provider;
        b.cudaDevice = cudaDevice;
        b.intra = intraOpThreads;
        b.inter = interOpThreads;
        b.batch = encoderBatchSize;
        b.decBatch = decoderBatchSize;
        b.verify = verifyHashes;
        b.lazy = lazySessions;
        return b;
    }

    /** Builder of {@link RuntimeOptions}. */
    public static final class Builder {
        private Provider provider = Provider.CPU;
        private int cudaDevice;
        private int intra;
        private int inter;
        private int batch = 32;
        private int decBatch = 16;
        private boolean verify = true;
        private boolean lazy;

        private Builder() {}

        /** @param p provider @return this */
        public Builder provider(Provider p) {
            provider = p;
            return this;
        }

        /** @param device CUDA device id @return this */
        public Builder cudaDevice(int device) {
            cudaDevice = device;
            return this;
        }

        /** @param n intra-op threads (0 = default) @return this */
        public Builder intraOpThreads(int n) {
            intra = n;
            return this;
        }

        /** @param n inter-op threads (0 = default) @return this */
        public Builder interOpThreads(int n) {
            inter = n;
            return this;
        }

        /** @param n encoder batch size @return this */
        public Builder encoderBatchSize(int n) {
            batch = n;
            return this;
        }

        /** @param n embeddings decoded together @return this */
        public Builder decoderBatchSize(int n) {
            decBatch = n;
            return this;
        }

        /** @param v whether to verify file hashes on load @return this */
        public Builder verifyHashes(boolean v) {
            verify = v;
            return this;
        }

        /**
         * @param v whether sessions are created on first use (load is then quick and checks only the
         *     manifest and files; a broken graph fails its first call) @return this
         */
        public Builder lazySessions(boolean v) {
            lazy = v;
            return this;
        }

        /** @return the options */
        public RuntimeOptions build() {
            return new RuntimeOptions(provider, cudaDevice, intra, inter, batch, decBatch, verify, lazy);
        }
    }
}
