package org.sonarllm.training;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.sonarllm.SonarLlmException;
import org.sonarllm.bundle.BundleWriter;

/**
 * metrics.csv (one row per optimizer step), validation.csv (one row per validation) and loss.png (the
 * training loss curve with validation points), drawn headless with java.awt; the same files for every
 * task of the {@link TrainingLoop}.
 */
final class MetricsFiles {
    /** Header of metrics.csv. */
    static final String STEP_HEADER = "step,epoch,loss,lr,grad_norm,sentences,target_tokens,seconds,phase";
    /** Header of validation.csv. */
    static final String VALIDATION_HEADER = "epoch,step,validation_loss";

    private final Path steps;
    private final Path validation;
    private final Path png;

    /** @param dir output directory */
    MetricsFiles(Path dir) {
        this.steps = dir.resolve("metrics.csv");
        this.validation = dir.resolve("validation.csv");
        this.png = dir.resolve("loss.png");
    }

    /**
     * Starts fresh, or on resume keeps only the rows written before the checkpoint of step {@code upToStep}:
     * step rows up to it, validation rows before it (a validation at step s runs after the checkpoint of
     * step s: at the next epoch's start or after the last step), so that rows of a killed run never repeat.
     *
     * @param upToStep the checkpoint's step (0 for a fresh run)
     */
    void reset(long upToStep) {
        trim(steps, STEP_HEADER, 0, upToStep);
        trim(validation, VALIDATION_HEADER, 1, upToStep - 1);
    }

    private static void trim(Path file, String header, int stepColumn, long upToStep) {
        List<String> keep = new ArrayList<>();
        keep.add(header);
        try {
            if (upToStep >= 0 && Files.exists(file)) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    String[] f = line.split(",");
                    if (!line.equals(header) && f.length > stepColumn && Long.parseLong(f[stepColumn]) <= upToStep) {
                        keep.add(line);
                    }
                }
            }
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, keep, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw BundleWriter.writeFailure(file, e);
        } catch (NumberFormatException e) {
            throw new SonarLlmException("cannot prepare " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param row values in {@link #STEP_HEADER} order
     */
    void step(Object... row) {
        append(steps, row);
    }

    /**
     * @param row values in {@link #VALIDATION_HEADER} order
     */
    void validation(Object... row) {
        append(validation, row);
    }

    private static void append(Path file, Object... row) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < row.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(row[i] instanceof Double d ? String.format(Locale.ROOT, "%.8g", d) : String.valueOf(row[i]));
        }
        sb.append('\n');
        try {
            Files.writeString(file, sb, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw BundleWriter.writeFailure(file, e);
        }
    }

    /** Redraws loss.png from the CSV files. */
    void plot() {
        System.setProperty("java.awt.headless", "true");
        List<double[]> train = read(steps, 0, 2);
        List<double[]> val = read(validation, 1, 2);
        int w = 800;
        int h = 500;
        int m = 60;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, h);
            double maxX = 1;
            double minY = Double.POSITIVE_INFINITY;
            double maxY = Double.NEGATIVE_INFINITY;
            List<double[]> all = new ArrayList<>(train);
            all.addAll(val);
            for (double[] p : all) {
                maxX = Math.max(maxX, p[0]);
                if (Double.isFinite(p[1])) {
                    minY = Math.min(minY, p[1]);
                    maxY = Math.max(maxY, p[1]);
                }
            }
            if (!(maxY > minY)) {
                minY = Double.isFinite(minY) ? minY - 1 : 0;
                maxY = minY + 2;
            }
            g.setColor(Color.BLACK);
            g.drawLine(m, h - m, w - m, h - m);
            g.drawLine(m, m, m, h - m);
            g.drawString("step", w / 2, h - 20);
            g.drawString(String.format(Locale.ROOT, "%.4g", maxY), 5, m);
            g.drawString(String.format(Locale.ROOT, "%.4g", minY), 5, h - m);
            g.drawString(String.format(Locale.ROOT, "%.0f", maxX), w - m - 20, h - m + 20);
            g.setColor(new Color(30, 90, 200));
            g.drawString("training loss", w - 220, 30);
            g.setStroke(new BasicStroke(1.5f));
            int[] prev = null;
            for (double[] p : train) {
                int[] q = {m + (int) ((w - 2 * m) * p[0] / maxX), h - m - (int) ((h - 2 * m) * (p[1] - minY) / (maxY - minY))};
                if (prev != null) {
                    g.drawLine(prev[0], prev[1], q[0], q[1]);
                }
                prev = q;
            }
            g.setColor(new Color(210, 40, 40));
            g.drawString("validation loss", w - 220, 48);
            for (double[] p : val) {
                int x = m + (int) ((w - 2 * m) * p[0] / maxX);
                int y = h - m - (int) ((h - 2 * m) * (p[1] - minY) / (maxY - minY));
                g.fillOval(x - 4, y - 4, 8, 8);
            }
        } finally {
            g.dispose();
        }
        try {
            Path tmp = png.resolveSibling("loss.png.tmp");
            if (!ImageIO.write(img, "png", tmp.toFile())) {
                throw new IOException("no PNG writer");
            }
            Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw BundleWriter.writeFailure(png, e);
        }
    }

    private static List<double[]> read(Path file, int xCol, int yCol) {
        List<double[]> out = new ArrayList<>();
        try {
            if (Files.exists(file)) {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                    String[] f = line.split(",");
                    out.add(new double[] {Double.parseDouble(f[xCol]), Double.parseDouble(f[yCol])});
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new SonarLlmException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return out;
    }
}
