/**
 * Downloads models: Meta's presigned-URL flow ({@link dev.llama3j.download.MetaDownload}, as Meta's
 * {@code download.sh}), the Hugging Face hub ({@link dev.llama3j.download.Hub}, its cache layout shared with Python
 * tools), and the HTTP transfer under both ({@link dev.llama3j.download.Transfer}: resumable {@code .part} files,
 * retries, checksums). {@link dev.llama3j.download.ModelReference} resolves {@code org/name[:QUANT]} to local files.
 */
package dev.llama3j.download;
