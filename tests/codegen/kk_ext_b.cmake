# kk_ext_b.cmake — cmocka tests of the "ops wave B" kernels
# (codegen/kernels/ext_b.c), built with the host C compiler straight from the
# kernel source. Included by tests/codegen/CMakeLists.txt; ctest name kk_ext_b.
get_filename_component(KK_EXTB_ROOT ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
add_executable(test_kk_ext_b
  ${CMAKE_CURRENT_LIST_DIR}/test_kk_ext_b.c
  ${KK_EXTB_ROOT}/codegen/kernels/ext_b.c)
target_include_directories(test_kk_ext_b PRIVATE
  ${KK_EXTB_ROOT}/codegen/kernels ${KK_EXTB_ROOT}/runtime ${CMOCKA_INCLUDE})
target_link_libraries(test_kk_ext_b ${CMOCKA_LIB} m)
add_test(NAME kk_ext_b COMMAND test_kk_ext_b)
