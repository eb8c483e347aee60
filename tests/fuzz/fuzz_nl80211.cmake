# fuzz_nl80211: the nl80211 reply parsers (agent/nl80211parse.c) that read the kernel's Wi-Fi
# answers. fuzz.nl80211_replay runs in every build; fuzz.nl80211 needs clang and -DVR_FUZZ=ON.
# Regenerate the seeds with: cmake --build BUILD --target fuzz_nl80211_gen &&
#   BUILD/tests/fuzz/fuzz_nl80211_gen tests/fuzz/corpus/nl80211
set(VR_FUZZ_NL80211_CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/nl80211)

add_executable(fuzz_nl80211_replay fuzz_nl80211.c replay.c)
target_link_libraries(fuzz_nl80211_replay PRIVATE vragent)
add_test(NAME fuzz.nl80211_replay COMMAND fuzz_nl80211_replay ${VR_FUZZ_NL80211_CORPUS})
set_tests_properties(fuzz.nl80211_replay PROPERTIES LABELS fuzz TIMEOUT 60)

add_executable(fuzz_nl80211_gen EXCLUDE_FROM_ALL fuzz_nl80211.c)
target_compile_definitions(fuzz_nl80211_gen PRIVATE VR_FUZZ_GEN)
target_link_libraries(fuzz_nl80211_gen PRIVATE vragent)

if(VR_FUZZ AND CMAKE_C_COMPILER_ID STREQUAL "Clang")
  # The parser's sources compiled into the target, so that coverage and ASan see inside it; it
  # needs nothing else (no libnl: the I/O half lives in link.c).
  set(VR_COMMON_DIR ${PROJECT_SOURCE_DIR}/common)
  set(VR_AGENT_DIR ${PROJECT_SOURCE_DIR}/agent)
  add_executable(fuzz_nl80211 fuzz_nl80211.c ${VR_AGENT_DIR}/nl80211parse.c
                              ${VR_COMMON_DIR}/err.c)
  target_include_directories(fuzz_nl80211 PRIVATE ${VR_AGENT_DIR} ${VR_COMMON_DIR})
  target_compile_options(fuzz_nl80211 PRIVATE -fsanitize=fuzzer,address,undefined
                                              -fno-sanitize-recover=undefined
                                              -fno-omit-frame-pointer)
  target_link_options(fuzz_nl80211 PRIVATE -fsanitize=fuzzer,address,undefined)
  set(VR_FUZZ_NL80211_WORK ${CMAKE_CURRENT_BINARY_DIR}/corpus-nl80211)
  file(MAKE_DIRECTORY ${VR_FUZZ_NL80211_WORK})
  add_test(NAME fuzz.nl80211
           COMMAND fuzz_nl80211 -max_total_time=20 -seed=1 -max_len=2048
                   ${VR_FUZZ_NL80211_WORK} ${VR_FUZZ_NL80211_CORPUS}
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(fuzz.nl80211 PROPERTIES LABELS fuzz TIMEOUT 120)
endif()
