// libcurl for Swift. Swift cannot call C variadic functions, so `curl_easy_setopt` and
// `curl_easy_getinfo` are wrapped here once per argument type BlockLab passes.
#ifndef BLOCKLAB_CCURL_SHIM_H
#define BLOCKLAB_CCURL_SHIM_H

#include <curl/curl.h>

/// Receives response bytes (CURLOPT_WRITEFUNCTION) or header lines (CURLOPT_HEADERFUNCTION).
typedef size_t (*ccurl_data_callback)(char *data, size_t size, size_t count, void *context);

static inline CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_setopt_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/// libcurl copies strings it is given (except CURLOPT_POSTFIELDS, which is not passed here).
static inline CURLcode ccurl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

/// Pointers libcurl keeps until the transfer ends (CURLOPT_POSTFIELDS, *DATA contexts).
static inline CURLcode ccurl_setopt_pointer(CURL *handle, CURLoption option, const void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_setopt_headers(CURL *handle, struct curl_slist *headers) {
    return curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
}

static inline CURLcode ccurl_setopt_callback(CURL *handle, CURLoption option, ccurl_data_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

static inline CURLcode ccurl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif
