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
 * @param intraOpThreads threads inside one op, 0 to {@value #MAX_THREADS}; 0 lets ONNX Runtime choose
 * @param interOpThreads threads across independent ops, 0 to {@value #MAX_THREADS}; 0 lets ONNX Runtime choose
 * @param encoderBatchSize sentences per encoder call (after length sorting), 1 to {@value #MAX_BATCH}
 * @param decoderBatchSize embeddings decoded together per decoder run (beam rows are this times the beam), 1
 *     to {@value #MAX_BATCH}
 * @param verifyHashes whether loading checks every bundle file's sha256
 */
public record RuntimeOptions(Provider provider, int cudaDevice, int intraOpThreads, int interOpThreads,
        int encoderBatchSize, int decoderBatchSize, boolean verifyHashes) {
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
            throw new InvalidInputException("expected thread counts in 0.." + MAX_THREADS + " (0 = runtime default), found "
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

    /** @return CPU, runtime-chosen threads, encoder batch 32, decoder batch 16, hashes verified */
    public static RuntimeOptions defaults() {
        return builder().build();
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

        /** @return the options */
        public RuntimeOptions build() {
            return new RuntimeOptions(provider, cudaDevice, intra, inter, batch, decBatch, verify);
        }
    }
}
