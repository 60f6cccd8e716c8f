// Expected<T>: a value or the Error that explains why there is none (std::expected is C++23).
#pragma once

#include <utility>
#include <variant>

#include "support/assert.h"
#include "support/diagnostic.h"

namespace xpusim {

template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Expected(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & {
    XPUSIM_ASSERT(ok(), "value() called on an Expected that holds an error");
    return std::get<T>(state_);
  }
  const T& value() const& {
    XPUSIM_ASSERT(ok(), "value() called on an Expected that holds an error");
    return std::get<T>(state_);
  }
  T&& value() && {
    XPUSIM_ASSERT(ok(), "value() called on an Expected that holds an error");
    return std::get<T>(std::move(state_));
  }
  const Error& error() const {
    XPUSIM_ASSERT(!ok(), "error() called on an Expected that holds a value");
    return std::get<Error>(state_);
  }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Error> state_;
};

}  // namespace xpusim
