#include <iostream>
#include "quantlab/sdk.h"
int main() { std::cout << "qlhost\n"; }
