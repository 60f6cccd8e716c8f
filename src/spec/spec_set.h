// The specs one run can name, found by one rule: the user's own spec files (each --specs FILE|DIR in
// order, then the files named as arguments) over the built-in library.
//
// A name is looked up in the user's files first, then in the library, whether a command line or another
// spec (a system's chip, a cluster's system, a `base:`) names it. Two user specs of the same kind and name
// are an error naming both; a user spec that shadows a library one is used, with a warning naming both.
// Documents with `base:` are derived here, once every file is read, so a base may live in any of them.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spec/library.h"

namespace xpusim::spec {

class SpecSet final : public SpecResolver {
 public:
  SpecSet() = default;
  explicit SpecSet(Library library) : library_(std::move(library)) {}

  // Reads a spec file, or every *.yaml and *.yml below a folder, into the user's layer. Files are named
  // in diagnostics as given (a folder's as folder/relative path). A file read already (also through a
  // folder) is not read again.
  void add_path(const std::filesystem::path& path, Diagnostics& out);
  // Adds parsed specs (from add_path, or from text in tests) to the user's layer.
  void add(LoadResult loaded, Diagnostics& out);
  // Derives the documents with `base:` and warns about user specs that shadow library ones. Call once,
  // after the last add.
  void resolve(Diagnostics& out);

  // User spec, else library spec.
  const Document* find(Kind kind, std::string_view name) const override;
  std::vector<std::string> names(Kind kind) const override;
  // The spec in effect of each kind with this name.
  std::vector<const Document*> find_any(std::string_view name) const;
  // Every spec in effect (user specs in place of the library's they shadow), by kind, then name.
  std::vector<const Document*> documents() const;
  // The user's specs read from the file diagnostics name `label`, by kind, then name.
  std::vector<const Document*> documents_in(const std::string& label) const;
  // The label a file was read under by add_path, if it was read.
  std::optional<std::string> label_of(const std::filesystem::path& path) const;

  // The labels of the files read, in the order read.
  const std::vector<std::string>& files() const { return files_; }
  const Library& library() const { return library_; }
  const Library& user() const { return user_; }

 private:
  void add_file(const std::filesystem::path& path, const std::string& label, Diagnostics& out);

  Library library_;
  Library user_;
  std::vector<PendingDocument> pending_;
  std::map<std::filesystem::path, std::string> labels_;  // canonical path -> label
  std::vector<std::string> files_;
};

}  // namespace xpusim::spec
