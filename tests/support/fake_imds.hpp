// A loopback stand-in for the Azure Instance Metadata Service (Boost.Beast), shared by the
// machine-id tests (compute fields) and the managed-identity token tests (token endpoint):
// it answers on a script and remembers each request, so nothing contacts 169.254.169.254.
// One connection at a time, like the library's clients.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace imds_support {

namespace http = boost::beast::http;
using boost::asio::ip::tcp;

class fake_imds {
 public:
  struct answer {
    http::status status = http::status::ok;
    std::string body;
    std::chrono::milliseconds delay{0};  // before answering
    bool hang = false;                   // read the request, never answer (as a dead endpoint would)
    std::string location{};              // sent as Location when not empty (a redirect)
  };
  struct seen_request {
    std::string method;
    std::string target;
    std::string metadata_header;
    bool has_authorization = false;
  };

  fake_imds() : acceptor_(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~fake_imds() {
    stopping_ = true;
    boost::system::error_code ignored;
    tcp::socket poke(io_);  // wakes accept() with a connection of our own
    poke.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }
  fake_imds(const fake_imds&) = delete;
  fake_imds& operator=(const fake_imds&) = delete;

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }

  // The answer to every request no field answer matches (JSON, as the token endpoint
  // sends). Until set: 404 with an empty body.
  void set(answer a) {
    std::lock_guard lock(mutex_);
    default_answer_ = std::move(a);
  }
  // The answer to GET /metadata/instance/compute/<field> (text, as format=text asks).
  void set(const std::string& field, answer a) {
    std::lock_guard lock(mutex_);
    field_answers_[field] = std::move(a);
  }

  std::vector<seen_request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::size_t count() const { return requests().size(); }

 private:
  static constexpr std::string_view compute_prefix = "/metadata/instance/compute/";

  void serve() {
    while (!stopping_) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) return;
      boost::beast::flat_buffer buffer;
      http::request<http::string_body> request;
      http::read(socket, buffer, request, ec);
      if (ec) continue;
      const std::string target{request.target()};
      answer a;
      bool text = false;
      {
        std::lock_guard lock(mutex_);
        requests_.push_back({std::string{request.method_string()}, target, std::string{request["Metadata"]},
                             request.count(http::field::authorization) > 0});
        a = default_answer_;
        if (target.starts_with(compute_prefix)) {
          const auto field = target.substr(compute_prefix.size(), target.find('?') - compute_prefix.size());
          if (auto it = field_answers_.find(field); it != field_answers_.end()) {
            a = it->second;
            text = true;
          }
        }
      }
      if (a.hang) {
        held_.push_back(std::move(socket));  // open until the server goes away
        continue;
      }
      if (a.delay.count() > 0) std::this_thread::sleep_for(a.delay);
      http::response<http::string_body> response{a.status, request.version()};
      response.set(http::field::content_type, text ? "text/plain; charset=utf-8" : "application/json; charset=utf-8");
      if (!a.location.empty()) response.set(http::field::location, a.location);
      response.body() = a.body;
      response.prepare_payload();
      http::write(socket, response, ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  answer default_answer_{.status = http::status::not_found, .body = {}};
  std::map<std::string, answer, std::less<>> field_answers_;
  std::vector<seen_request> requests_;
  std::vector<tcp::socket> held_;
};

// A base URL where nothing listens: a port bound and then freed.
inline std::string closed_port_url() {
  boost::asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
}

}  // namespace imds_support
