# cmake -DPADDOCKCTL=<paddockctl> -DPREFIX=<key prefix> -DPUB_COPY=<file> -P ensure_dev_key.cmake
# Makes the development signing key PREFIX.{key,pub} if it does not exist yet (never
# replaces one), then copies PREFIX.pub to PUB_COPY (only when it differs, so plugins are
# re-signed only when the key changed).
if(NOT EXISTS ${PREFIX}.key)
  get_filename_component(dir ${PREFIX} DIRECTORY)
  file(MAKE_DIRECTORY ${dir})
  execute_process(COMMAND ${PADDOCKCTL} keygen ${PREFIX} RESULT_VARIABLE rc OUTPUT_QUIET)
  # A parallel build of another build dir may have made it first: that key is as good.
  if(NOT rc EQUAL 0 AND NOT EXISTS ${PREFIX}.key)
    message(FATAL_ERROR "cannot make the development signing key ${PREFIX}.key")
  endif()
endif()
if(NOT EXISTS ${PREFIX}.pub)
  message(FATAL_ERROR "${PREFIX}.key exists without ${PREFIX}.pub: remove ${PREFIX}.key "
                      "to make a new development key")
endif()
get_filename_component(copy_dir ${PUB_COPY} DIRECTORY)
file(MAKE_DIRECTORY ${copy_dir})
file(COPY_FILE ${PREFIX}.pub ${PUB_COPY} ONLY_IF_DIFFERENT)
