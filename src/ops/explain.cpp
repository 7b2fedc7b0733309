#include "ocicap/error.hpp"
#include "ocicap/runtime_advice.hpp"
#include "opened_image.hpp"

namespace ocicap {

RuntimeAdvice explain_image(const ExplainRequest& request,
                            ReadObserver* observer) {
  OpenedImage image(request.image, request.platform);
  GetResult found = read_capabilities(
      image.source(), GetRequest{.image = request.image}, observer);
  if (!found.errors.empty()) {
    throw Error(found.errors.front());
  }
  return advise_runtime(std::move(found.files),
                        resolve_image_user(image.source(), observer));
}

RuntimeAdvice advise_after_change(const ChangeResult& result) {
  std::vector<FileCapabilities> files;
  for (const ChangedFile& file : result.files) {
    if (file.capabilities) {
      files.push_back({file.path, file.capability_text, *file.capabilities,
                       file.link_chain});
    }
  }
  ImageUser user;
  for (const ChangedFile& file : result.files) {
    if (file.capabilities) {
      user = file.image_user;
      break;
    }
  }
  return advise_runtime(std::move(files), std::move(user));
}

} // namespace ocicap
