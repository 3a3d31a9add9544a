# One place for compiler flags shared by every target.
add_compile_options(-Wall -Wextra -Wno-missing-field-initializers)
if(SYNC_WERROR)
  add_compile_options(-Werror)
endif()
if(SYNC_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
