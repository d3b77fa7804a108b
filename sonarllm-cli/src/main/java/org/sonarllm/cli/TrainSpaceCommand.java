package org.sonarllm.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sonarllm.lang.Language;
import org.sonarllm.model.SonarConfig;
import org.sonarllm.tokenize.SonarTokenizer;
import org.sonarllm.training.TrainingConfig;
import org.sonarllm.training.TrainingResult;
import org.sonarllm.training.sonar.AutoencoderTrainer;
import org.sonarllm.training.sonar.M2M100Export;
import org.sonarllm.training.sonar.Noise;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm train-space --tokenizer DIR --corpus PATH --out DIR [options]}: trains a SONAR-style
 * sentence space (an encoder/decoder autoencoder: denoising auto-encoding, then decoder-only
 * interpolation fine-tuning) with {@link AutoencoderTrainer} and exports it in the Hugging Face M2M100
 * layout ({@code OUT/encoder}, {@code OUT/decoder}, {@code OUT/tokenizer}) that {@code convert} turns into a
 * bundle. "Space" is the concept space a concept LM then works in. Progress to stderr; one JSON line.
 *
 * <pre>{@code
 * ./sonarllm train-space --tokenizer models/austen/tokenizer --corpus books/ --out runs/ae --d 128 --workers 2
 * ./sonarllm convert --encoder runs/ae/encoder --decoder runs/ae/decoder --tokenizer runs/ae/tokenizer --out runs/space
 * # train that space further (new optimizer state and schedule), here with a gentler peak rate
 * ./sonarllm train-space --tokenizer runs/ae/tokenizer --corpus books/ --out runs/ae2 --init-from runs/ae --lr 7.5e-4
 * # or give its decoder 3 more layers, which start as the identity
 * ./sonarllm train-space --tokenizer runs/ae/tokenizer --corpus books/ --out runs/ae6 --init-from runs/ae --decoder-layers 6
 * }</pre>
 */
@Command(name = "train-space", mixinStandardHelpOptions = true,
        description = "Train a SONAR-style sentence space (autoencoder) on a corpus; exports encoder/ decoder/ tokenizer/ for convert.")
final class TrainSpaceCommand extends Nd4jCommand {
    @Option(names = "--tokenizer", required = true, paramLabel = "DIR", description = "NLLB-style SentencePiece tokenizer.")
    Path tokenizer;
    @Option(names = "--corpus", required = true, paramLabel = "PATH",
            description = "Text file or directory, read as books: paragraphs at blank lines, headings and titles dropped.")
    Path corpus;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Checkpoint, metrics and the exported space.")
    Path out;
    @Option(names = "--lang", defaultValue = "eng_Latn", converter = LanguageConverter.class, description = "Corpus language.")
    Language lang;
    @Option(names = "--d", description = "Model width = sentence embedding size (default 256).") Integer d;
    @Option(names = "--heads", description = "Attention heads (default 4).") Integer heads;
    @Option(names = "--ffn", description = "FFN width (default 4 x d).") Integer ffn;
    @Option(names = "--layers", description = "Encoder and decoder layers each (default 3).") Integer layers;
    @Option(names = "--decoder-layers", paramLabel = "N", description = "Decoder layers, if not --layers; with --init-from, "
            + "more than the space has adds layers on top that start as the identity (default: as many as the encoder).")
    Integer decoderLayers;
    @Option(names = "--init-from", paramLabel = "DIR", description = "Start from the weights of a space an earlier "
            + "train-space run wrote (its output directory: encoder/, decoder/), e.g. to train it longer or on more text; "
            + "its shape is taken, so --d, --heads, --ffn and --layers are refused. Optimizer state and schedule start afresh.")
    Path initFrom;
    @Option(names = "--max-positions", defaultValue = "128", description = "max_position_embeddings of the exported configs.") int maxPositions;
    @Option(names = "--max-tokens", defaultValue = "40", description = "Longest encoder input kept; longer sentences are skipped.") int maxTokens;
    @Option(names = "--max-sentences", defaultValue = "0", description = "Use at most this many sentences (0 = all).") int maxSentences;
    @Option(names = "--steps", defaultValue = "6000") long steps;
    @Option(names = "--interpolation-from", description = "First step of decoder-only interpolation fine-tuning (default 4/5 of the steps).")
    Long interpolationFrom;
    @Option(names = "--batch-size", defaultValue = "64", description = "Sentences per micro-batch.") int batchSize;
    @Option(names = "--accumulation", defaultValue = "1") int accumulation;
    @Option(names = "--lr", defaultValue = "1e-3") double lr;
    @Option(names = "--min-lr", description = "Final learning rate (default lr / 20).") Double minLr;
    @Option(names = "--warmup", defaultValue = "300") long warmup;
    @Option(names = "--weight-decay", defaultValue = "0.01") double weightDecay;
    @Option(names = "--clip", defaultValue = "1.0") double clip;
    @Option(names = "--drop", defaultValue = "0.1", description = "Noise: probability of dropping a piece.") double drop;
    @Option(names = "--mask", defaultValue = "0.1", description = "Noise: probability of masking a piece.") double mask;
    @Option(names = "--shuffle", defaultValue = "3", description = "Noise: local shuffle window.") int shuffle;
    @Option(names = "--noised-share", defaultValue = "0.5", description = "Share of noised inputs while denoising.") double noisedShare;
    @Option(names = "--vector-noise", defaultValue = "0", description = "Gaussian noise on each sentence vector before the "
            + "decoder, relative to the vector's RMS (0 = none, at most 2).") double vectorNoise;
    @Option(names = "--dropout", defaultValue = "0", description = "Residual dropout while training (embeddings, "
            + "attention, cross-attention and FFN outputs; the encoder's only while it trains), 0 = none. Not --drop, "
            + "which drops input pieces.") double dropout;
    @Option(names = "--passage-share", defaultValue = "0", description = "Share of training examples replaced, at every "
            + "step, by a passage of the books' running text as long as the sentence: word-aligned, crossing sentence "
            + "boundaries, long sentences included; many more distinct inputs than sentences (default 0 = none).")
    double passageShare;
    @Option(names = "--validation", defaultValue = "0", description = "Sentences held out of training; their clean "
            + "reconstruction loss is reported after every epoch in OUT/validation.csv (default 0 = none).") int validation;
    @Option(names = "--seed", defaultValue = "42") long seed;
    @Option(names = "--checkpoint-every", defaultValue = "100") long checkpointEvery;
    @Option(names = "--workers", defaultValue = "1", description = "Graph replicas on threads, each taking part of a batch.") int workers;
    @Option(names = "--resume", description = "Continue from OUT/checkpoint.bin when present.") boolean resume;
    @Option(names = "--force", description = "Start over when OUT holds a run.") boolean force;

    @Override
    protected int body() {
        int vocab;
        int maskId;
        try (SonarTokenizer t = SonarTokenizer.load(tokenizer)) {
            vocab = t.vocabSize();
            maskId = t.maskId();
        }
        SonarConfig model;
        if (initFrom != null) {
            if (d != null || heads != null || ffn != null || layers != null) {
                throw new UsageException("--init-from takes the shape of " + initFrom + "; drop --d, --heads, --ffn and --layers");
            }
            SonarConfig trained = M2M100Export.readConfig(initFrom);
            // the trainer refuses a vocabulary smaller than the tokenizer's, as for a new space
            model = decoderLayers == null ? trained : trained.withDecoderLayers(decoderLayers);
        } else {
            int width = d != null ? d : 256;
            int encoderLayers = layers != null ? layers : 3;
            model = SonarConfig.symmetric(vocab, width, heads != null ? heads : 4, ffn != null ? ffn : 4 * width,
                    encoderLayers, decoderLayers != null ? decoderLayers : encoderLayers, maxPositions);
        }
        AutoencoderTrainer.Options o = new AutoencoderTrainer.Options(tokenizer, corpus, out, model, maxTokens,
                interpolationFrom != null ? interpolationFrom : steps * 4 / 5, new Noise(drop, mask, shuffle, maskId),
                noisedShare, maxSentences, lang, vectorNoise, validation, dropout, passageShare, initFrom);
        TrainingConfig t = new TrainingConfig(steps, batchSize, accumulation, lr, minLr != null ? minLr : lr / 20,
                Math.min(warmup, steps), weightDecay, 0.9, 0.98, 1e-8, clip, seed, checkpointEvery, validation > 0, workers, 0);
        AutoencoderTrainer trainer = new AutoencoderTrainer(o, t, resume, force);
        stderr().printf("space: d %d, %d + %d layers, %d heads, ffn %d, vocabulary %d; %d training sentences%s%n", model.model(),
                model.encoderLayers(), model.decoderLayers(), model.encoderHeads(), model.encoderFfn(), model.vocab(),
                trainer.sentenceCount(), initFrom != null ? "; starting from " + initFrom : "");
        TrainingResult r = trainer.train(TrainCommand.progress(stderr()));
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("steps", r.steps());
        summary.put("loss", r.lastLoss());
        summary.put("sentences", trainer.sentenceCount());
        if (validation > 0) {
            summary.put("validation_loss", r.validationLoss());
        }
        summary.put("out", out.toString());
        json().write(summary);
        return 0;
    }
}
