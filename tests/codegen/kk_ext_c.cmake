# kk_ext_c.cmake — cmocka test of the "ops wave C" kernels
# (codegen/kernels/ext_c.c), built with the host C compiler straight from the
# kernel source. Included by tests/codegen/CMakeLists.txt; ctest name kk_ext_c.
get_filename_component(KK_EXT_C_ROOT ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
add_executable(test_kk_ext_c ${CMAKE_CURRENT_LIST_DIR}/test_kk_ext_c.c
  ${KK_EXT_C_ROOT}/codegen/kernels/ext_c.c)
target_include_directories(test_kk_ext_c PRIVATE
  ${KK_EXT_C_ROOT}/codegen/kernels ${KK_EXT_C_ROOT}/runtime ${CMOCKA_INCLUDE})
target_link_libraries(test_kk_ext_c ${CMOCKA_LIB} m)
add_test(NAME kk_ext_c COMMAND test_kk_ext_c)
