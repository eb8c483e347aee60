# fuzz_inifile: the INI layer (common/inifile.c) that reads both programs' config files.
# fuzz.inifile_replay runs in every build; fuzz.inifile needs clang and -DVR_FUZZ=ON.
# The seeds in corpus/inifile are written by hand (and the shipped examples); no generator.
set(VR_FUZZ_INIFILE_CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/inifile)

add_executable(fuzz_inifile_replay fuzz_inifile.c replay.c)
target_link_libraries(fuzz_inifile_replay PRIVATE vrcommon)
add_test(NAME fuzz.inifile_replay COMMAND fuzz_inifile_replay ${VR_FUZZ_INIFILE_CORPUS})
set_tests_properties(fuzz.inifile_replay PROPERTIES LABELS fuzz TIMEOUT 60)

if(VR_FUZZ AND CMAKE_C_COMPILER_ID STREQUAL "Clang")
  # The layer's sources compiled into the target, so that coverage and ASan see inside them;
  # the rest (vr_class_by_name, vr_errbuf_set) comes from vrcommon.
  set(VR_COMMON_DIR ${PROJECT_SOURCE_DIR}/common)
  add_executable(fuzz_inifile fuzz_inifile.c ${VR_COMMON_DIR}/inifile.c ${VR_COMMON_DIR}/parse.c)
  target_include_directories(fuzz_inifile PRIVATE ${VR_COMMON_DIR})
  target_compile_options(fuzz_inifile PRIVATE -fsanitize=fuzzer,address,undefined
                                              -fno-sanitize-recover=undefined
                                              -fno-omit-frame-pointer)
  target_link_options(fuzz_inifile PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_inifile PRIVATE vrcommon PkgConfig::INIH)
  # New inputs go to the build tree; the source corpus is only read.
  set(VR_FUZZ_INIFILE_WORK ${CMAKE_CURRENT_BINARY_DIR}/corpus-inifile)
  file(MAKE_DIRECTORY ${VR_FUZZ_INIFILE_WORK})
  add_test(NAME fuzz.inifile
           COMMAND fuzz_inifile -max_total_time=20 -seed=1 -max_len=4096
                   ${VR_FUZZ_INIFILE_WORK} ${VR_FUZZ_INIFILE_CORPUS}
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(fuzz.inifile PROPERTIES LABELS fuzz TIMEOUT 120)
endif()
