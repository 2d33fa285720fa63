// Throwaway X.509 material for TLS tests, made at run time with the OpenSSL API: a
// self-signed test CA that issues server certificates for chosen subject alternative names,
// self-signed server certificates, and a private temporary directory to write them to as
// PEM. Nothing here is meant to protect anything; it exists so that tests prove the client
// verifies what it should, without certificates checked into the repository (which would
// expire) or a call to the `openssl` program. Needs OpenSSL 3 (link OpenSSL::Crypto).
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdlib.h>  // mkdtemp

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#if OPENSSL_VERSION_MAJOR < 3
#error "onefuzz/telemetry/testing/test_certificates.hpp needs OpenSSL 3"
#endif

namespace onefuzz::telemetry::testing {

// A certificate (the leaf first, then any chain) and its private key, both PEM text: what
// a TLS server presents.
struct pem_credentials {
  std::string certificate_pem{};
  std::string private_key_pem{};
};

// Key type of a generated certificate. EC keys are generated in microseconds; RSA 2048 in
// tens of milliseconds, for tests that want the other signature family.
enum class key_algorithm { ec_p256, rsa_2048 };

namespace detail {

struct pkey_free {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct x509_free {
  void operator()(X509* p) const noexcept { X509_free(p); }
};
struct bio_free {
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};
struct extension_free {
  void operator()(X509_EXTENSION* p) const noexcept { X509_EXTENSION_free(p); }
};
struct bignum_free {
  void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;

// Throws with OpenSSL's queued error text (and clears the queue) when `ok` is false.
inline void openssl_check(bool ok, std::string_view what) {
  if (ok) {
    return;
  }
  std::string message = "test_certificates: " + std::string(what);
  while (unsigned long const e = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(e, text, sizeof text);
    message += "; ";
    message += text;
  }
  throw std::runtime_error(message);
}

inline pkey_ptr generate_key(key_algorithm algorithm) {
  pkey_ptr key(algorithm == key_algorithm::rsa_2048 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256"));
  openssl_check(key != nullptr, "key generation failed");
  return key;
}

inline std::string to_pem(X509* cert) {
  std::unique_ptr<BIO, bio_free> bio(BIO_new(BIO_s_mem()));
  openssl_check(bio && PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509 failed");
  char* data = nullptr;
  long const n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

inline std::string to_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, bio_free> bio(BIO_new(BIO_s_mem()));
  openssl_check(bio && PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
                "PEM_write_bio_PrivateKey failed");
  char* data = nullptr;
  long const n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// Adds one v3 extension written in OpenSSL's configuration syntax ("critical,CA:TRUE").
inline void add_extension(X509* cert, X509V3_CTX& ctx, int nid, std::string const& value) {
  std::unique_ptr<X509_EXTENSION, extension_free> ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str()));
  openssl_check(ext != nullptr, "bad extension value '" + value + "'");
  openssl_check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext failed");
}

// A v3 certificate for `key` named `common_name`, valid from an hour ago for a day, with a
// random serial. `issuer`/`issuer_key` null means self-signed. `subject_alt_names` is a
// comma-separated OpenSSL list ("IP:127.0.0.1,DNS:localhost"), empty for none.
inline x509_ptr make_certificate(EVP_PKEY* key, std::string const& common_name, bool is_ca,
                                 std::string const& subject_alt_names, X509* issuer, EVP_PKEY* issuer_key) {
  x509_ptr cert(X509_new());
  openssl_check(cert != nullptr, "X509_new failed");
  X509* const c = cert.get();
  openssl_check(X509_set_version(c, X509_VERSION_3) == 1, "X509_set_version failed");

  std::unique_ptr<BIGNUM, bignum_free> serial(BN_new());
  openssl_check(serial && BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1, "BN_rand failed");
  openssl_check(BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(c)) != nullptr, "serial number");

  openssl_check(X509_gmtime_adj(X509_getm_notBefore(c), -60L * 60) != nullptr, "notBefore");
  openssl_check(X509_gmtime_adj(X509_getm_notAfter(c), 24L * 60 * 60) != nullptr, "notAfter");
  openssl_check(X509_set_pubkey(c, key) == 1, "X509_set_pubkey failed");

  X509_NAME* const name = X509_get_subject_name(c);
  openssl_check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                           reinterpret_cast<unsigned char const*>("onefuzz-telemetry tests"), -1, -1,
                                           0) == 1 &&
                    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                               reinterpret_cast<unsigned char const*>(common_name.c_str()), -1, -1,
                                               0) == 1,
                "subject name");
  openssl_check(X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name) == 1, "issuer name");

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : c, c, nullptr, nullptr, 0);
  add_extension(c, ctx, NID_subject_key_identifier, "hash");
  if (issuer) {
    add_extension(c, ctx, NID_authority_key_identifier, "keyid:always");
  }
  if (is_ca) {
    add_extension(c, ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    add_extension(c, ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(c, ctx, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(c, ctx, NID_key_usage,
                  EVP_PKEY_is_a(key, "RSA") ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature");
    add_extension(c, ctx, NID_ext_key_usage, "serverAuth");
  }
  if (!subject_alt_names.empty()) {
    add_extension(c, ctx, NID_subject_alt_name, subject_alt_names);
  }
  openssl_check(X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256()) > 0, "X509_sign failed");
  return cert;
}

// {"IP:127.0.0.1", "DNS:localhost"} -> "IP:127.0.0.1,DNS:localhost"; the first DNS name
// (or else the first entry's value) doubles as the subject CN.
inline std::string join_names(std::vector<std::string> const& names) {
  std::string out;
  for (auto const& n : names) {
    if (n.empty() || n.find(',') != std::string::npos) {
      throw std::invalid_argument("test_certificates: bad subject alternative name '" + n + "'");
    }
    out += out.empty() ? n : "," + n;
  }
  return out;
}

inline std::string common_name_for(std::vector<std::string> const& names) {
  for (auto const& n : names) {
    if (n.starts_with("DNS:")) return n.substr(4);
  }
  if (!names.empty()) {
    auto const colon = names.front().find(':');
    return colon == std::string::npos ? names.front() : names.front().substr(colon + 1);
  }
  return "onefuzz-telemetry test server";
}

}  // namespace detail

// A self-signed certificate authority that exists for one test run. Move-only; issuing is
// const but not meant to run concurrently from several threads.
class test_certificate_authority {
public:
  explicit test_certificate_authority(std::string const& common_name = "onefuzz-telemetry test CA",
                                      key_algorithm algorithm = key_algorithm::ec_p256)
      : key_(detail::generate_key(algorithm)),
        cert_(detail::make_certificate(key_.get(), common_name, true, {}, nullptr, nullptr)),
        pem_(detail::to_pem(cert_.get())) {}

  // The CA certificate, PEM: what a client is told to trust (http_options::ca_file).
  std::string const& certificate_pem() const noexcept { return pem_; }

  // A fresh key and a server certificate signed by this CA, valid for `subject_alt_names`
  // in OpenSSL's notation: {"IP:127.0.0.1", "DNS:localhost"}, or {"DNS:wrong.example"}
  // for one that does not match the URL. certificate_pem holds the leaf alone: the CA is
  // a root, which a client must already trust (as with real servers, sending it would not help).
  pem_credentials issue_server_certificate(std::vector<std::string> const& subject_alt_names,
                                           key_algorithm algorithm = key_algorithm::ec_p256) const {
    auto const key = detail::generate_key(algorithm);
    auto const cert = detail::make_certificate(key.get(), detail::common_name_for(subject_alt_names), false,
                                               detail::join_names(subject_alt_names), cert_.get(), key_.get());
    return {.certificate_pem = detail::to_pem(cert.get()), .private_key_pem = detail::to_pem(key.get())};
  }

private:
  detail::pkey_ptr key_;
  detail::x509_ptr cert_;
  std::string pem_;
};

// A self-signed server certificate for `subject_alt_names`: names that match, signed by
// nobody a client trusts.
inline pem_credentials make_self_signed_server_certificate(std::vector<std::string> const& subject_alt_names,
                                                          key_algorithm algorithm = key_algorithm::ec_p256) {
  auto const key = detail::generate_key(algorithm);
  auto const cert = detail::make_certificate(key.get(), detail::common_name_for(subject_alt_names), false,
                                             detail::join_names(subject_alt_names), nullptr, nullptr);
  return {.certificate_pem = detail::to_pem(cert.get()), .private_key_pem = detail::to_pem(key.get())};
}

// A new directory only this user can read (mkdtemp, mode 0700) under the system temporary
// directory, removed with everything in it on destruction. Move-only.
class temporary_directory {
public:
  explicit temporary_directory(std::string_view prefix = "onefuzz-telemetry-") {
    std::string pattern = (std::filesystem::temp_directory_path() / (std::string(prefix) + "XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "temporary_directory: mkdtemp '" + pattern + "'");
    }
    path_ = pattern;
  }

  temporary_directory(temporary_directory&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  temporary_directory& operator=(temporary_directory&&) = delete;
  temporary_directory(temporary_directory const&) = delete;
  temporary_directory& operator=(temporary_directory const&) = delete;

  ~temporary_directory() {
    if (!path_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
    }
  }

  std::filesystem::path const& path() const noexcept { return path_; }

  // Writes `content` to path()/name, replacing any such file, and returns its path.
  std::filesystem::path write(std::string_view name, std::string_view content) const {
    auto const file = path_ / std::string(name);
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) {
      throw std::runtime_error("temporary_directory: cannot write " + file.string());
    }
    return file;
  }

private:
  std::filesystem::path path_;
};

}  // namespace onefuzz::telemetry::testing
