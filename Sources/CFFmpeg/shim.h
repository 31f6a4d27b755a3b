/*
 * shim.h: the single C entry point of warpflow into FFmpeg.
 *
 * Swift cannot import function-like macros (AVERROR, av_err2str, AVERROR_EOF) and FFmpeg's
 * API moves between major versions (5.1 is the oldest supported; 6.x, 7.x). Everything that differs is wrapped
 * here in a static inline function gated on the library version macros, so that Swift code
 * never needs `#if` on FFmpeg versions.
 */
#ifndef WARPFLOW_CFFMPEG_SHIM_H
#define WARPFLOW_CFFMPEG_SHIM_H

#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/error.h>
#include <libavutil/mathematics.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <string.h>

/* ---- error codes ---- */
static inline int wf_averror(int posix) { return AVERROR(posix); }
static inline int wf_averror_eof(void) { return AVERROR_EOF; }
static inline int wf_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int wf_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int wf_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
static inline int wf_averror_encoder_not_found(void) { return AVERROR_ENCODER_NOT_FOUND; }
static inline int wf_averror_stream_not_found(void) { return AVERROR_STREAM_NOT_FOUND; }

/* Writes FFmpeg's message for `code` into buf (always NUL terminated). */
static inline void wf_strerror(int code, char *buf, size_t size) {
    if (av_strerror(code, buf, size) < 0) {
        snprintf(buf, size, "unknown error %d", code);
    }
}

/* ---- constants that are macros ---- */
static inline int64_t wf_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline int wf_time_base(void) { return AV_TIME_BASE; }

/* ---- codecs (const-ness changed in lavc 59 / FFmpeg 5.0) ---- */
static inline const AVCodec *wf_find_decoder(enum AVCodecID id) { return avcodec_find_decoder(id); }
static inline const AVCodec *wf_find_encoder_by_name(const char *name) { return avcodec_find_encoder_by_name(name); }
static inline const AVCodec *wf_find_encoder(enum AVCodecID id) { return avcodec_find_encoder(id); }

/* ---- frames ---- */
/* Key-frame flag: AVFrame.key_frame was replaced by AV_FRAME_FLAG_KEY in lavu 58.7 (FFmpeg 6.1). */
static inline int wf_frame_is_key(const AVFrame *f) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(58, 7, 100)
    return (f->flags & AV_FRAME_FLAG_KEY) != 0;
#else
    return f->key_frame;
#endif
}

/* Frame duration in the stream time base: pkt_duration became duration in lavu 57.30 (FFmpeg 6.0). */
static inline int64_t wf_frame_duration(const AVFrame *f) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(57, 30, 100)
    return f->duration;
#else
    return f->pkt_duration;
#endif
}

static inline void wf_frame_set_duration(AVFrame *f, int64_t d) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(57, 30, 100)
    f->duration = d;
#else
    f->pkt_duration = d;
#endif
}

/* Marks a frame as a key frame request (or not) for the encoder. */
static inline void wf_frame_set_picture_type_none(AVFrame *f) { f->pict_type = AV_PICTURE_TYPE_NONE; }

/* Best-effort timestamp of a decoded frame. */
static inline int64_t wf_frame_best_pts(const AVFrame *f) {
    return f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
}

/* Decoded frame carries corrupt-data flags (decoder concealed errors). */
static inline int wf_frame_is_corrupt(const AVFrame *f) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(58, 7, 100)
    return (f->flags & AV_FRAME_FLAG_CORRUPT) != 0 || f->decode_error_flags != 0;
#else
    return (f->flags & AV_FRAME_FLAG_CORRUPT) != 0 || f->decode_error_flags != 0;
#endif
}

/* ---- streams ---- */
/* Rotation in degrees from the display matrix: the angle av_display_rotation_get gives
 * (counter-clockwise), which is the "rotation" value ffprobe prints for the stream;
 * or 0 when there is none. Stream side data moved to codecpar->coded_side_data in lavf 60.15
 * / lavc 60.30 (FFmpeg 6.1) and av_stream_get_side_data was removed in FFmpeg 7. */
static inline double wf_stream_rotation(const AVStream *st) {
    const uint8_t *matrix = NULL;
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(60, 29, 100)
    const AVPacketSideData *sd = av_packet_side_data_get(st->codecpar->coded_side_data,
                                                         st->codecpar->nb_coded_side_data,
                                                         AV_PKT_DATA_DISPLAYMATRIX);
    if (sd) matrix = sd->data;
#else
    size_t size = 0;
    matrix = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (size < 9 * sizeof(int32_t)) matrix = NULL;
#endif
    if (!matrix) return 0.0;
    double r = av_display_rotation_get((const int32_t *)matrix);
    if (isnan(r)) return 0.0;
    return r;
}

/* Copies the display matrix (rotation) from one stream to another, if present. */
static inline int wf_stream_copy_display_matrix(const AVStream *from, AVStream *to) {
    const uint8_t *matrix = NULL;
    size_t size = 0;
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(60, 29, 100)
    const AVPacketSideData *sd = av_packet_side_data_get(from->codecpar->coded_side_data,
                                                         from->codecpar->nb_coded_side_data,
                                                         AV_PKT_DATA_DISPLAYMATRIX);
    if (!sd) return 0;
    matrix = sd->data; size = sd->size;
    AVPacketSideData *dst = av_packet_side_data_new(&to->codecpar->coded_side_data,
                                                    &to->codecpar->nb_coded_side_data,
                                                    AV_PKT_DATA_DISPLAYMATRIX, size, 0);
    if (!dst) return AVERROR(ENOMEM);
    memcpy(dst->data, matrix, size);
    return 0;
#else
    matrix = av_stream_get_side_data(from, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (!matrix || size == 0) return 0;
    uint8_t *dst = av_stream_new_side_data(to, AV_PKT_DATA_DISPLAYMATRIX, size);
    if (!dst) return AVERROR(ENOMEM);
    memcpy(dst, matrix, size);
    return 0;
#endif
}

/* Number of frames the container declares for a stream (0 when unknown). */
static inline int64_t wf_stream_nb_frames(const AVStream *st) { return st->nb_frames; }

/* ---- logging ---- */
/* Library code must not print: FFmpeg's own logging is silenced unless asked for. */
static inline void wf_set_log_quiet(int quiet) { av_log_set_level(quiet ? AV_LOG_QUIET : AV_LOG_WARNING); }

/* ---- pixel formats ---- */
static inline int wf_pix_fmt_planes(enum AVPixelFormat f) { return av_pix_fmt_count_planes(f); }
static inline int wf_pix_fmt_log2_chroma_w(enum AVPixelFormat f) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f); return d ? d->log2_chroma_w : 0;
}
static inline int wf_pix_fmt_log2_chroma_h(enum AVPixelFormat f) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f); return d ? d->log2_chroma_h : 0;
}
/* Bits per component of the first component (8 for yuv420p, 10 for yuv420p10le, ...). */
static inline int wf_pix_fmt_depth(enum AVPixelFormat f) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f); return d ? d->comp[0].depth : 0;
}
static inline int wf_pix_fmt_is_planar(enum AVPixelFormat f) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f); return d ? ((d->flags & AV_PIX_FMT_FLAG_PLANAR) != 0) : 0;
}
static inline int wf_pix_fmt_is_rgb(enum AVPixelFormat f) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f); return d ? ((d->flags & AV_PIX_FMT_FLAG_RGB) != 0) : 0;
}
static inline int wf_pix_fmt_is_hwaccel(enum AVPixelFormat f) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f); return d ? ((d->flags & AV_PIX_FMT_FLAG_HWACCEL) != 0) : 0;
}
/* Bits a component's value is shifted left within its storage word (6 for p010's 10-bit samples). */
static inline int wf_pix_fmt_shift(enum AVPixelFormat f, int comp) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f); return d ? d->comp[comp].shift : 0;
}
static inline int wf_pix_fmt_is_big_endian(enum AVPixelFormat f) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f); return d ? ((d->flags & AV_PIX_FMT_FLAG_BE) != 0) : 0;
}
/* The same layout in the other byte order (yuv420p10be ↔ yuv420p10le), or AV_PIX_FMT_NONE. */
static inline enum AVPixelFormat wf_pix_fmt_swap_endianness(enum AVPixelFormat f) { return av_pix_fmt_swap_endianness(f); }
/* Number of components (3 for yuv420p and nv12, 4 for yuva420p, 1 for gray). */
static inline int wf_pix_fmt_components(enum AVPixelFormat f) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f); return d ? d->nb_components : 0;
}
/* Bytes per sample of a plane's component storage (1 or 2; 4 for float formats). */
static inline int wf_pix_fmt_step(enum AVPixelFormat f, int comp) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f); return d ? d->comp[comp].step : 0;
}

#endif

/* ==== spectrum: libavutil's av_tx FFT (used by MediaIO/FourierTransform.swift) ==== */
/* av_tx (libavutil/tx.h) exists since lavu 56.x (FFmpeg 4.3), older than every supported
 * version, so nothing here is gated; what changed between versions is only which lengths have
 * fast code paths, which FourierTransform handles by using power-of-two lengths. */
#ifndef WARPFLOW_CFFMPEG_SHIM_TX_H
#define WARPFLOW_CFFMPEG_SHIM_TX_H
#include <libavutil/tx.h>

/* A forward complex-to-complex float FFT of `len` points, unscaled (scale 1.0), no flags:
 * arrays must be av_malloc-aligned and distinct. Returns 0 or a negative AVERROR. */
static inline int wf_tx_float_fft_init(AVTXContext **ctx, av_tx_fn *fn, int len) {
    const float scale = 1.0f;
    return av_tx_init(ctx, fn, AV_TX_FLOAT_FFT, 0, len, &scale, 0);
}

/* out = FFT(in) with a context from wf_tx_float_fft_init (stride: one AVComplexFloat). */
static inline void wf_tx_float_fft(AVTXContext *ctx, av_tx_fn fn, AVComplexFloat *out, AVComplexFloat *in) {
    fn(ctx, out, in, (ptrdiff_t)sizeof(AVComplexFloat));
}
#endif
