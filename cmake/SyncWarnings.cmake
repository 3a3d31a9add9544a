# One place for compiler flags shared by every target.
add_compile_options(-Wall -Wextra -Wno-missing-field-initializers)
if(SYNC_WERROR)
  add_compile_options(-Werror)
endif()
# The sanitizers instrument the product (sync_lib, the sync binary: see
# sync_instrument below); every executable links their runtime. Test code is
# left uninstrumented: it is orchestration around the code under test, and
# instrumenting it doubled its compile time (e2e_test.cpp 7.3 s -> 15.7 s)
# for checks of the tests themselves, in a pass that must fit the CI budget.
set(SYNC_SANITIZER_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
if(SYNC_SANITIZE)
  add_link_options(-fsanitize=address,undefined)
endif()
function(sync_instrument target)
  if(SYNC_SANITIZE)
    target_compile_options(${target} PRIVATE ${SYNC_SANITIZER_FLAGS})
  endif()
endfunction()

# A unity build of `target`, `batch` sources per translation unit (0: all).
# -Wsubobject-linkage warns of a type of an anonymous namespace inside a
# type defined in a header; a unity build includes every .cpp, so every
# .cpp's own types would be warned of.
function(sync_unity target batch)
  if(SYNC_UNITY_BUILD)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE ${batch})
    target_compile_options(${target} PRIVATE -Wno-subobject-linkage)
  endif()
endfunction()
